using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Relay;

/// <summary>
/// The relay's TLS policy end to end over real sockets: MTA-STS discovery through the lab DNS, the policy fetched over
/// HTTPS from the lab web, enforced or tested on the real MTAs; the TLSA records the lab publishes.
/// </summary>
public sealed class RelayTlsPolicyTests
{
    private const string Retry = "relay: { retry-intervals: [1h] }";

    private static Task EditZone(TestLab lab, string domain, Func<string, string> edit) => RelayTestHelpers.EditZone(lab, domain, edit);

    private static Task WritePolicy(TestLab lab, string domain, string mode, params string[] mx) =>
        File.WriteAllTextAsync(Path.Combine(lab.DataDirectory, "mta-sts", domain + ".txt"),
            $"version: STSv1\nmode: {mode}\n{string.Concat(mx.Select(m => $"mx: {m}\n"))}max_age: 86400\n");

    private static TraceEvent PolicyStep(TestLab lab, string step) =>
        Assert.Single(lab.Events(TraceKind.TlsPolicy), e => e.Field("Step") == step && e.Field("Domain") == "bank.test");

    [Fact]
    public async Task A_valid_enforce_policy_delivers_over_verified_TLS()
    {
        await using var lab = TestLab.Create().Start();
        // The default policy file says enforce with mx.bank.test; the TXT record turns discovery on.
        Assert.Contains("mode: enforce", await File.ReadAllTextAsync(Path.Combine(lab.DataDirectory, "mta-sts", "bank.test.txt")));
        await EditZone(lab, "bank.test", z => z + "\n_mta-sts IN TXT \"v=STSv1; id=1;\"\n");

        await RelayTestHelpers.SubmitAsAlice(lab, "under MTA-STS", "bob@bank.test");
        await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered");

        var sts = PolicyStep(lab, "mta-sts");
        Assert.Equal(("enforce", "fetched", "1"), (sts.Field("Mode"), sts.Field("Source"), sts.Field("PolicyId")));
        Assert.Equal(LabOrigin.Relay, sts.Origin);
        Assert.Equal(("mta-sts-enforce", "tls-required"), (PolicyStep(lab, "decision").Field("Policy"), PolicyStep(lab, "decision").Field("Result")));
        Assert.Equal("pass", PolicyStep(lab, "result").Field("Result"));
        Assert.Contains(lab.Events(TraceKind.TlsEstablished), e => e.Field("Direction") == "outbound" && e.Field("Verified") == "True");
        // The policy came over the lab web's HTTPS listener, and the web knows the request as the lab's own.
        var get = Assert.Single(lab.Events(TraceKind.WebRequest), e => e.Field("Path") == "/.well-known/mta-sts.txt");
        Assert.Equal(("200", LabOrigin.Resolver), (get.Field("Status"), get.Origin));
        Assert.Equal("127.0.1.1", get.Field("Client"));
        var count = Assert.Single(lab.Runtime!.TlsReports.Take("uc"));
        Assert.Equal(("bank.test", "sts", 1L, 0), (count.Domain, count.PolicyType, count.Counts.Successes, count.Counts.Failures.Count));
    }

    [Fact]
    public async Task Enforce_to_an_MX_whose_certificate_is_not_for_its_name_defers_with_the_reason()
    {
        await using var lab = TestLab.Create(relay: Retry).Start();
        // mx2.bank.test is bank's MTA under a name its certificate does not carry; the policy names mx2.
        await WritePolicy(lab, "bank.test", "enforce", "mx2.bank.test");
        await EditZone(lab, "bank.test", z => z.Replace("@       IN  MX   10 mx.bank.test.", "@       IN  MX   10 mx2.bank.test.")
            + "\nmx2 IN A 127.0.2.1\n_mta-sts IN TXT \"v=STSv1; id=2;\"\n");

        await RelayTestHelpers.SubmitAsAlice(lab, "name mismatch", "bob@bank.test");
        var deferred = await RelayTestHelpers.Outcome(lab, "bob@bank.test", "deferred");

        Assert.Contains("4.7.5", deferred.Field("Status"));
        Assert.Contains("is not for mx2.bank.test", deferred.Field("Reason"));
        Assert.Contains("mta-sts-enforce", deferred.Field("Reason"));
        var result = PolicyStep(lab, "result");
        Assert.Equal(("defer", "certificate-host-mismatch"), (result.Field("Result"), result.Field("FailureType")));
        Assert.Empty(await lab.Store.ListAsync("bob@bank.test", "INBOX", default));
        // The queue on disk keeps the reason, which `maillab queue` shows.
        var entry = Assert.Single(lab.Runtime!.Queue.LoadAll([]));
        Assert.Contains("is not for mx2.bank.test", Assert.Single(entry.Recipients).Reason);
    }

    [Fact]
    public async Task Testing_mode_delivers_anyway_and_counts_the_failure()
    {
        await using var lab = TestLab.Create(relay: Retry).Start();
        await WritePolicy(lab, "bank.test", "testing", "mx2.bank.test");
        await EditZone(lab, "bank.test", z => z.Replace("@       IN  MX   10 mx.bank.test.", "@       IN  MX   10 mx2.bank.test.")
            + "\nmx2 IN A 127.0.2.1\n_mta-sts IN TXT \"v=STSv1; id=3;\"\n");

        await RelayTestHelpers.SubmitAsAlice(lab, "testing mode", "bob@bank.test");
        await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered");

        var result = PolicyStep(lab, "result");
        Assert.Equal(("mta-sts-testing", "fail-reported", "certificate-host-mismatch"), (result.Field("Policy"), result.Field("Result"), result.Field("FailureType")));
        var count = Assert.Single(lab.Runtime!.TlsReports.Take("uc"));
        Assert.Equal(0L, count.Counts.Successes);
        Assert.Equal(("certificate-host-mismatch", "mx2.bank.test"), (Assert.Single(count.Counts.Failures).Key.Type, Assert.Single(count.Counts.Failures).Key.Host));
    }

    [Fact]
    public async Task Enforce_to_an_MX_that_does_not_offer_STARTTLS_defers()
    {
        // A plain SMTP server (no STARTTLS) on a loopback address of its own, reached at the lab's relay-port.
        using var plain = new TcpListener(IPAddress.Parse("127.0.4.1"), 0);
        plain.Start();
        int port = ((IPEndPoint)plain.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        var server = ServePlainSmtp(plain, stop.Token);
        await using var lab = TestLab.Create(relay: $"relay: {{ relay-port: {port}, retry-intervals: [1h] }}").Start();
        await WritePolicy(lab, "bank.test", "enforce", "plain.bank.test");
        await EditZone(lab, "bank.test", z => z.Replace("@       IN  MX   10 mx.bank.test.", "@       IN  MX   10 plain.bank.test.")
            + "\nplain IN A 127.0.4.1\n_mta-sts IN TXT \"v=STSv1; id=4;\"\n");

        await RelayTestHelpers.SubmitAsAlice(lab, "no starttls", "bob@bank.test");
        var deferred = await RelayTestHelpers.Outcome(lab, "bob@bank.test", "deferred");

        Assert.Equal("4.7.4", deferred.Field("Status"));
        Assert.Contains("does not offer STARTTLS", deferred.Field("Reason"));
        var result = PolicyStep(lab, "result");
        Assert.Equal(("defer", "starttls-not-supported"), (result.Field("Result"), result.Field("FailureType")));
        // The message never went out in plaintext.
        Assert.DoesNotContain(lab.Events(TraceKind.RelayCommandSent), e => e.Text.StartsWith("MAIL FROM", StringComparison.Ordinal));
        await stop.CancelAsync();
        plain.Stop();
        await Task.WhenAny(server);
    }

    [Fact]
    public async Task Without_a_TXT_record_the_policy_is_not_used_and_delivery_is_opportunistic_as_before()
    {
        await using var lab = TestLab.Create().Start();
        await RelayTestHelpers.SubmitAsAlice(lab, "no policy", "bob@bank.test");
        await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered");
        Assert.Equal("none", PolicyStep(lab, "mta-sts").Field("Source"));
        Assert.Equal("opportunistic", PolicyStep(lab, "decision").Field("Policy"));
        Assert.DoesNotContain(lab.Events(TraceKind.WebRequest), e => e.Field("Path") == "/.well-known/mta-sts.txt");
    }

    [Fact]
    public async Task The_policy_is_served_over_HTTPS_only_with_a_lab_CA_certificate_for_mta_sts_names()
    {
        await using var lab = TestLab.Create().Start();
        var https = lab.Runtime!.Web!.HttpsEndPoint!;
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await s.ConnectAsync(https, ct);
                return new NetworkStream(s, ownsSocket: true);
            },
            SslOptions = { RemoteCertificateValidationCallback = TestPki.Validate },
        };
        using var http = new HttpClient(handler);
        var ok = await http.GetAsync("https://mta-sts.uc.test/.well-known/mta-sts.txt");
        Assert.Equal(200, (int)ok.StatusCode);
        Assert.Equal("text/plain", ok.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("version: STSv1\nmode: enforce\nmx: mx.uc.test\n", await ok.Content.ReadAsStringAsync());
        // A lab domain whose policy file was removed has none.
        File.Delete(Path.Combine(lab.DataDirectory, "mta-sts", "evil.test.txt"));
        Assert.Equal(404, (int)(await http.GetAsync("https://mta-sts.evil.test/.well-known/mta-sts.txt")).StatusCode);
        // Plain HTTP on the web port does not serve it (RFC 8461 §3.3).
        using var plain = new HttpClient();
        Assert.Equal(404, (int)(await plain.GetAsync(lab.Runtime.Web.Url + "/.well-known/mta-sts.txt")).StatusCode);
        // A student's symbolic link to another file, or a policy over 64 KiB, is not served.
        var secret = Path.Combine(lab.DataDirectory, "secret.txt");
        await File.WriteAllTextAsync(secret, "not a policy");
        File.CreateSymbolicLink(Path.Combine(lab.DataDirectory, "mta-sts", "evil.test.txt"), secret);
        var linked = await http.GetAsync("https://mta-sts.evil.test/.well-known/mta-sts.txt");
        Assert.Equal(404, (int)linked.StatusCode);
        Assert.DoesNotContain("not a policy", await linked.Content.ReadAsStringAsync());
        await File.WriteAllTextAsync(Path.Combine(lab.DataDirectory, "mta-sts", "uc.test.txt"), new string('x', 64 * 1024 + 1));
        Assert.Equal(404, (int)(await http.GetAsync("https://mta-sts.uc.test/.well-known/mta-sts.txt")).StatusCode);
    }

    [Fact]
    public async Task TLSA_records_appear_after_start_and_a_renewed_certificate_replaces_its_line_while_a_deleted_one_stays_deleted()
    {
        var data = TempDir.New("tlsa");
        string bankZone = Path.Combine(data, "zones", "bank.test.zone"), ucZone = Path.Combine(data, "zones", "uc.test.zone");
        string first;
        await using (var lab = TestLab.Create(data: data).Start())
        {
            first = Spki(Path.Combine(data, "certs", "sites", "bank.crt"));
            Assert.Contains($"_25._tcp.mx.bank.test. 3600 IN TLSA 3 1 1 {first}", await File.ReadAllTextAsync(bankZone));
            Assert.Contains(lab.Events(TraceKind.TlsPolicy), e => e.Field("Step") == "tlsa-publish" && e.Field("Host") == "_25._tcp.mx.bank.test");
            // The lab DNS serves it.
            var tlsa = await new MailLab.Server.Dns.LabResolver(lab.Runtime!.Dns!.EndPoint).TlsaAsync("mx.bank.test", 25);
            Assert.Equal(Convert.FromHexString(first), Assert.Single(tlsa.Records).Association);
        }
        // A student deletes uc's record; bank's certificate is renewed (new key).
        var uc = (await File.ReadAllLinesAsync(ucZone)).Where(l => !l.StartsWith("_25._tcp.mx.uc.test.", StringComparison.Ordinal));
        await File.WriteAllLinesAsync(ucZone, uc);
        File.Delete(Path.Combine(data, "certs", "sites", "bank.crt"));
        File.Delete(Path.Combine(data, "certs", "sites", "bank.key"));
        await using (var lab = TestLab.Create(data: data).Start())
        {
            var renewed = Spki(Path.Combine(data, "certs", "sites", "bank.crt"));
            Assert.NotEqual(first, renewed);
            var text = await File.ReadAllTextAsync(bankZone);
            Assert.Single(text.Split('\n'), l => l.StartsWith("_25._tcp.mx.bank.test.", StringComparison.Ordinal));
            Assert.Contains($"_25._tcp.mx.bank.test. 3600 IN TLSA 3 1 1 {renewed}", text);
            Assert.DoesNotContain("_25._tcp.mx.uc.test.", await File.ReadAllTextAsync(ucZone));
            Assert.Contains(lab.Events(TraceKind.TlsPolicy), e => e.Field("Step") == "tlsa-publish" && e.Field("Result") == "replaced");
        }
    }

    [Fact]
    public async Task Tlsa_usage_dane_ta_publishes_the_lab_CA_key()
    {
        await using var lab = TestLab.Create(relay: "relay: { tlsa-usage: dane-ta }").Start();
        var ca = Convert.ToHexStringLower(SHA256.HashData(TestPki.Ca.Certificate.PublicKey.ExportSubjectPublicKeyInfo()));
        Assert.Contains($"_25._tcp.mx.bank.test. 3600 IN TLSA 2 1 1 {ca}", await File.ReadAllTextAsync(Path.Combine(lab.DataDirectory, "zones", "bank.test.zone")));
    }

    private static string Spki(string pem)
    {
        using var cert = X509Certificate2.CreateFromPem(File.ReadAllText(pem));
        return Convert.ToHexStringLower(SHA256.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>An SMTP server that offers no STARTTLS: greets, answers EHLO, and 250 to anything else until QUIT.</summary>
    private static async Task ServePlainSmtp(TcpListener listener, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                using var client = await listener.AcceptTcpClientAsync(ct);
                var stream = client.GetStream();
                var reader = new StreamReader(stream, Encoding.ASCII);
                async Task Say(string s) => await stream.WriteAsync(Encoding.ASCII.GetBytes(s + "\r\n"), ct);
                await Say("220 plain.bank.test ESMTP no TLS here");
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    if (line.StartsWith("EHLO", StringComparison.OrdinalIgnoreCase)) await Say("250-plain.bank.test\r\n250 8BITMIME");
                    else if (line.StartsWith("QUIT", StringComparison.OrdinalIgnoreCase)) { await Say("221 bye"); break; }
                    else await Say("250 ok");
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }
    }
}
