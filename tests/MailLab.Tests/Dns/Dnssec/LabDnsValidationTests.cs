using MailLab.MailAuth.Spf;
using MailLab.Protocols.Dns.Dnssec;
using MailLab.Server.Dns;
using MailLab.Server.Trace;

namespace MailLab.Tests.Dns.Dnssec;

/// <summary>
/// The validating mail resolver against the real signed lab DNS over loopback: lab answers are secure, an
/// unsigned zone is insecure, a broken signature (<c>expired-rrsig</c>) makes the MX bogus and SPF temperror,
/// and repairing it makes them secure again at the next lookup (the cache is emptied on re-signing).
/// </summary>
public class LabDnsValidationTests
{
    private static (LabResolver Resolver, TraceStream Trace) Validating(DnsTestServer dns)
    {
        var tracer = new Tracer(new TraceStream(), null, false) { CheckContract = true };
        string anchor = dns.Signer!.DsAnchorFile;
        var resolver = new LabResolver(dns.EndPoint, generation: () => dns.Zones.Current)
        {
            Validation = new ResolverValidation(() => LabResolver.ReadAnchorFile(anchor), tracer.ForLab(LabOrigin.Resolver, "uc", TraceRole.MTA)),
        };
        return (resolver, tracer.Stream);
    }

    [Theory]
    [InlineData(DnssecAlgorithm.EcdsaP256Sha256)]
    [InlineData(DnssecAlgorithm.RsaSha256)]
    public async Task Lab_answers_are_secure_and_an_unsigned_zone_is_insecure(byte algorithm)
    {
        await using var dns = DnsTestServer.Start(dnssecAlgorithm: algorithm, unsignedZones: ["extra.test"]);
        var (resolver, trace) = Validating(dns);
        var mx = await resolver.ResolveMxAsync("bank.test");
        Assert.True(mx.TempError is null, mx.TempError);
        Assert.Equal(DnssecStatus.Secure, mx.Dnssec);
        Assert.NotEmpty(mx.Hosts);
        var txt = await resolver.TxtAsync("bank.test");
        Assert.Equal(DnssecStatus.Secure, txt.Dnssec);
        var missing = await resolver.TxtAsync("nowhere.bank.test");
        Assert.True(missing.TempError is null, missing.TempError);
        Assert.Equal(DnssecStatus.Secure, missing.Dnssec); // NXDOMAIN proven by NSEC

        var extra = await resolver.ResolveMxAsync("two.extra.test");
        Assert.True(extra.TempError is null, extra.TempError);
        Assert.Equal(DnssecStatus.Insecure, extra.Dnssec);
        Assert.Equal(2, extra.Hosts.Count);
        Assert.Contains(trace.Query(), e => e.Kind == TraceKind.DnssecValidation && e.Text == "DNSSEC bank.test. MX: secure");
    }

    [Fact]
    public async Task An_expired_rrsig_makes_the_mx_bogus_and_spf_temperror_until_it_is_repaired()
    {
        await using var dns = DnsTestServer.Start(dnssecAlgorithm: DnssecAlgorithm.EcdsaP256Sha256);
        var (resolver, trace) = Validating(dns);
        Assert.Equal(DnssecStatus.Secure, (await resolver.ResolveMxAsync("bank.test")).Dnssec);

        File.WriteAllText(dns.Signer!.BreakFile, "bank.test expired-rrsig\n");
        dns.Zones.Refresh();
        var mx = await resolver.ResolveMxAsync("bank.test");
        Assert.Equal(DnssecStatus.Bogus, mx.Dnssec);
        Assert.Empty(mx.Hosts);
        Assert.Matches(@"^bank\.test MX: DNSSEC bogus: RRSIG over bank\.test\. MX by key tag \d+ expired \d{4}-", mx.TempError);
        var spf = await new SpfEvaluator(new LabSpfResolver(resolver), receiver: "mx.uc.test")
            .CheckHostAsync(System.Net.IPAddress.Parse("127.0.2.1"), "bank.test", "alice@bank.test", "bank.test");
        Assert.Equal(SpfResultCode.TempError, spf.Result);
        Assert.Contains("DNSSEC bogus", spf.Problem);
        Assert.Contains(trace.Query(), e => e.Kind == TraceKind.DnssecValidation && (string?)e.Fields["Status"] == "bogus");

        File.WriteAllText(dns.Signer.BreakFile, "");
        File.SetLastWriteTimeUtc(dns.Signer.BreakFile, DateTime.UtcNow.AddSeconds(5)); // a new stamp, whatever the clock's granularity
        dns.Zones.Refresh();
        mx = await resolver.ResolveMxAsync("bank.test");
        Assert.True(mx.TempError is null, mx.TempError);
        Assert.Equal(DnssecStatus.Secure, mx.Dnssec);
    }
}
