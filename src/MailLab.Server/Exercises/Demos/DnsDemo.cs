using MailLab.Protocols.Dns;
using MailLab.Server.Dns;

namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// Exercise 8: the DNS records mail depends on, asked like dig does: MX, the SPF and DMARC TXT
/// records, the PTR of the MX's address, a name that does not exist, and a query over TCP. Every
/// question is asked from the student's address when one is given (<c>dig -b ADDRESS</c>).
/// </summary>
internal sealed class DnsDemo : IExerciseDemo
{
    public int Number => 8;

    public async Task RunAsync(DemoContext ctx, CancellationToken ct)
    {
        string bank = ctx.Domain("bank");
        var dns = ctx.Dns;
        string from = ctx.Student is null ? "" : $" -b {ctx.Student}";
        ctx.Out.WriteLine($"   (asking the lab DNS at {dns}, like: dig @{dns.Address} -p {dns.Port}{from} ...)");

        ctx.Step($"Where does mail for {bank} go? (dig mx {bank})");
        var mx = await AskAsync(ctx, bank, DnsType.MX, ct);
        string host = mx.AnswerData<MxData>(DnsType.MX).FirstOrDefault()?.Exchange
            ?? throw new DemoException($"{bank} has no MX record");

        ctx.Step($"The MX host's address (dig a {host})");
        var a = await AskAsync(ctx, host, DnsType.A, ct);
        var address = a.AnswerData<AddressData>(DnsType.A).FirstOrDefault()?.Address ?? throw new DemoException($"{host} has no A record");

        ctx.Step($"SPF: who may send as {bank}? (nslookup -type=txt {bank})");
        await AskAsync(ctx, bank, DnsType.TXT, ct);

        ctx.Step($"DMARC: what {bank} asks receivers to do (dig txt _dmarc.{bank})");
        await AskAsync(ctx, "_dmarc." + bank, DnsType.TXT, ct);

        ctx.Step($"Reverse DNS of {address} (dig -x {address})");
        await AskAsync(ctx, DnsNames.ReverseName(address), DnsType.PTR, ct);

        ctx.Step($"A name that does not exist: NXDOMAIN with the zone's SOA (dig a nosuchhost.{bank})");
        await AskAsync(ctx, "nosuchhost." + bank, DnsType.A, ct);

        ctx.Step($"The same MX question over TCP (dig +tcp mx {ctx.Domain("uc")})");
        await AskAsync(ctx, ctx.Domain("uc"), DnsType.MX, ct, tcp: true);
    }

    /// <summary>
    /// One question as dig asks it (no recursion wanted, UDP with TCP on truncation, or TCP only), from the
    /// student's address when the demo has one, so the lab DNS traces it as that student's act.
    /// </summary>
    internal static async Task<DnsResponse> AskAsync(DemoContext ctx, string name, DnsType type, CancellationToken ct, bool tcp = false)
    {
        var client = new DnsTransport(ctx.Dns, ctx.Student, TimeSpan.FromSeconds(5), retries: 1);
        var result = await client.QueryAsync(name, type, tcp, ct);
        if (result.Response is not { } r) throw new DemoException($"the lab DNS at {ctx.Dns} did not answer {name} {type}: {result.Reason}");
        ctx.Out.WriteLine($";; {name} {type} over {(result.Tcp ? "tcp" : "udp")}: status {r.Status}, {r.Answers.Count} answer(s)");
        foreach (var rec in r.Answers.Concat(r.Authority))
        {
            ctx.Out.WriteLine("   " + rec);
        }
        return r;
    }
}
