using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MailLab.MailAuth.Dkim;
using MailLab.MailAuth.Dmarc;
using MailLab.MailAuth.Spf;
using MailLab.Server.Relay;
using MailLab.Server.Smtp;
using MailLab.Server.Trace;
using MailLab.Tests.Relay;
using MailLab.Tests.Support;

namespace MailLab.Tests.Dkim;

/// <summary>
/// Issue 20 item 4: every DKIM-Signature tag value, however large, negative or malformed, ends in a
/// verdict and never in an exception; the MTA session survives a check that throws anyway.
/// </summary>
public sealed class DkimTagRangeTests
{
    private static readonly byte[] TestMessage = DkimMessage.ToCrlf(File.ReadAllBytes(Path.Combine(DkimSuite.DataDir, "dkimpy", "test.message")));
    private static readonly RSA Rsa = RSA.Create(2048);
    private static readonly string KeyRecord = "v=DKIM1; p=" + Convert.ToBase64String(Rsa.ExportSubjectPublicKeyInfo());

    private static MemoryDkimResolver Dns() => new MemoryDkimResolver().Record("test._domainkey.example.com", KeyRecord);

    private static string BodyHash() =>
        Convert.ToBase64String(SHA256.HashData(DkimCanonicalizer.RelaxedBody(DkimMessage.Parse(TestMessage).Body.Span)));

    /// <summary>A correctly signed message whose DKIM-Signature carries <paramref name="extra"/> tags.</summary>
    private static string Signed(string extra)
    {
        var tags = $"v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=test; h=from:to:subject; {extra} bh={BodyHash()};";
        var parsed = DkimMessage.Parse(TestMessage);
        var sig = DkimSignature.Parse(tags + " b=AA==", out var e, out _) ?? throw new InvalidOperationException(e);
        var field = "DKIM-Signature: " + tags + " b=";
        var data = DkimVerifier.HeaderData(parsed, new DkimHeaderField("DKIM-Signature", field + "\r\n"), sig);
        return field + Convert.ToBase64String(Rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)) + "\r\n"
            + Encoding.Latin1.GetString(TestMessage);
    }

    private static async Task<DkimVerification> Verify(string message, MemoryDkimResolver dns) =>
        Assert.Single(await new DkimVerifier(dns).VerifyAsync(Encoding.Latin1.GetBytes(message)));

    // Values a parser cannot take: each is a permerror that says which tag and why, and no key is fetched.
    [Theory]
    [InlineData("x=9999999999999;", "x=9999999999999 is not a Unix time")]
    [InlineData("x=99999999999999999999999999;", "is not a Unix time")]
    [InlineData("x=-1;", "x=-1 is not a Unix time")]
    [InlineData("x=+100;", "x=+100 is not a Unix time")]
    [InlineData("x=1e10;", "x=1e10 is not a Unix time")]
    [InlineData("x=;", "x= is not a Unix time")]
    [InlineData("t=-5;", "t=-5 is not a Unix time")]
    [InlineData("t=18446744073709551616;", "is not a Unix time")]
    [InlineData("t=999999999999; x=300000000000;", "x= is before t=")]
    [InlineData("l=-1;", "l=-1 is not a number")]
    [InlineData("l=99999999999999999999;", "l=99999999999999999999 is not a number")]
    [InlineData("l=9223372036854775808;", "is not a number")]
    [InlineData("l=0x10;", "is not a number")]
    [InlineData("l=;", "is not a number")]
    public async Task Out_of_range_tag_values_are_permerror_with_the_reason(string extra, string reason)
    {
        var dns = Dns();
        var r = await Verify($"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=test; h=from; bh=AA==; {extra} b=AAAA\r\n"
            + Encoding.Latin1.GetString(TestMessage), dns);
        Assert.Equal(DkimResultCode.PermError, r.Result);
        Assert.Contains(reason, r.Reason);
        Assert.Empty(dns.Queries);
    }

    // Values inside the syntax but past what a date can hold (year 9999): a verdict from the rest of the checks.
    [Theory]
    [InlineData("x=999999999999;", DkimResultCode.Pass, "signature verified")]
    [InlineData("t=1; x=999999999999;", DkimResultCode.Pass, "signature verified")]
    [InlineData("x=253402300799;", DkimResultCode.Pass, "signature verified")]
    [InlineData("x=253402300800;", DkimResultCode.Pass, "signature verified")]
    [InlineData("t=999999999999;", DkimResultCode.Pass, "signature verified")]
    [InlineData("t=999999999999; x=999999999999;", DkimResultCode.Pass, "signature verified")]
    [InlineData("x=0;", DkimResultCode.Fail, "signature expired")]
    [InlineData("t=0; x=1;", DkimResultCode.Fail, "signature expired")]
    [InlineData("l=9223372036854775807;", DkimResultCode.Fail, "is longer than the canonical body")]
    [InlineData("l=999999999999999999;", DkimResultCode.Fail, "is longer than the canonical body")]
    public async Task Huge_times_and_lengths_are_verdicts_not_exceptions(string extra, DkimResultCode expected, string reason)
    {
        var r = await Verify(Signed(extra), Dns());
        Assert.Equal(expected, r.Result);
        Assert.Contains(reason, r.Reason);
    }

    private static string BadSignatureMessage(string from, string to) =>
        $"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=uc.test; s=lab-rsa; t=1; x=999999999999; h=from:to:subject; bh=AAAA; b=AAAA\r\n" +
        $"DKIM-Signature: v=1; a=rsa-sha256; d=uc.test; s=lab-rsa; x=99999999999999999999; h=from; bh=AAAA; b=AAAA\r\n" +
        $"From: {from}\r\nTo: {to}\r\nSubject: far future\r\n\r\nExpires in the year 33658.\r\n.";

    [Fact]
    public async Task Huge_x_at_a_real_MTA_socket_is_a_verdict_and_the_message_is_delivered()
    {
        await using var lab = TestLab.Create().Start();
        var mta = lab.Runtime!.EndPoint("bank", "MTA");
        using var tcp = new TcpClient();
        tcp.Client.Bind(new IPEndPoint(IPAddress.Parse("127.0.3.1"), 0));
        await tcp.ConnectAsync(mta);
        var stream = tcp.GetStream();
        var lines = new ClientLines(stream);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        async Task<string?> Say(string line)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), cts.Token);
            return await lines.ReadReplyAsync(cts.Token);
        }
        Assert.StartsWith("220", await lines.ReadReplyAsync(cts.Token));
        Assert.StartsWith("250", await Say("EHLO mx.evil.test"));
        Assert.StartsWith("250", await Say("MAIL FROM:<mallory@evil.test>"));
        Assert.StartsWith("250", await Say("RCPT TO:<bob@bank.test>"));
        Assert.StartsWith("354", await Say("DATA"));
        var reply = await Say(BadSignatureMessage("mallory@evil.test", "bob@bank.test"));
        Assert.NotNull(reply); // the session used to end here without a reply (ArgumentOutOfRangeException)
        Assert.StartsWith("250 2.0.0", reply);
        Assert.StartsWith("250", await Say("NOOP")); // and it goes on

        var results = lab.Events(TraceKind.DkimResult).Where(e => e.Site == "bank").ToList();
        Assert.Equal(2, results.Count);
        Assert.NotEqual("pass", results[0].Field("Result"));
        Assert.Equal("permerror", results[1].Field("Result"));
        Assert.Contains("is not a Unix time", results[1].Field("Reason"));
        Assert.Empty(lab.Events(TraceKind.InternalError));
    }

    [Fact]
    public async Task Submitted_through_the_MSA_the_message_is_relayed_once_and_never_wedges_the_queue()
    {
        await using var lab = TestLab.Create().Start(StaticMxResolver.Simple(("bank.test", "mx.bank.test", "127.0.2.1")));
        var msa = lab.Runtime!.EndPoint("uc", "MSA", "starttls");
        using var client = new MailKit.Net.Smtp.SmtpClient
            { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false, Timeout = 20_000 };
        await client.ConnectAsync(msa.Address.ToString(), msa.Port, MailKit.Security.SecureSocketOptions.StartTls);
        await client.AuthenticateAsync("alice@uc.test", "lab-alice");
        var text = BadSignatureMessage("alice@uc.test", "bob@bank.test");
        var message = MimeKit.MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(text[..^1])));
        await client.SendAsync(message);
        await client.DisconnectAsync(true);

        var outcome = await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered", 30_000);
        Assert.Equal("1", outcome.Field("Attempts"));
        Assert.Contains("Subject: far future", await RelayTestHelpers.OnlyMessage(lab, "bob@bank.test"));
        Assert.Contains(lab.Events(TraceKind.DkimResult), e => e.Site == "bank" && e.Field("Result") == "permerror");
        Assert.Empty(lab.Events(TraceKind.InternalError));
    }

    /// <summary>A DNS that throws instead of answering: a bug in a check must not cost the session.</summary>
    private sealed class ThrowingDns : ISpfResolver, IDkimResolver
    {
        public Task<DnsAnswer<string>> LookupTxtAsync(string name, CancellationToken ct) => throw new InvalidOperationException("resolver bug (test)");
        public Task<DnsAnswer<IPAddress>> LookupAddressesAsync(string name, AddressFamily family, CancellationToken ct) => throw new InvalidOperationException("resolver bug (test)");
        public Task<DnsAnswer<MxRecord>> LookupMxAsync(string name, CancellationToken ct) => throw new InvalidOperationException("resolver bug (test)");
        public Task<DnsAnswer<string>> LookupPtrAsync(IPAddress address, CancellationToken ct) => throw new InvalidOperationException("resolver bug (test)");
    }

    [Fact]
    public async Task A_check_that_throws_is_a_temperror_verdict_and_the_session_goes_on()
    {
        await using var lab = TestLab.Create();
        var bank = lab.Site("bank");
        var dns = new ThrowingDns();
        var relay = SmtpProfile.Mta with { Receive = Server.Checks.ReceivePipeline.Mta(new(dns, dns, new DmarcEvaluator(new SpfBackedDmarcResolver(dns)), Reports: null)) };
        await using var t = await SmtpTranscript.StartAsync(bank, relay, "127.0.3.1");
        await t.Expect("EHLO mx.evil.test", "250");
        await t.Expect("MAIL FROM:<mallory@evil.test>", "250");
        await t.Expect("RCPT TO:<bob@bank.test>", "250");
        await t.Expect("DATA", "354");
        await t.Expect(BadSignatureMessage("mallory@evil.test", "bob@bank.test"), "250 2.0.0");
        await t.Expect("NOOP", "250");

        Assert.Contains(lab.Events(TraceKind.SpfResult), e => e.Field("Identity") == "mailfrom" && e.Field("Result") == "temperror");
        Assert.All(lab.Events(TraceKind.DkimResult), e => Assert.Equal("temperror", e.Field("Result")));
        Assert.NotEmpty(lab.Events(TraceKind.DkimResult));
        Assert.Contains(lab.Events(TraceKind.DmarcEvaluated), e => e.Field("Result") == "temperror");
        var errors = lab.Events(TraceKind.InternalError);
        Assert.Contains(errors, e => e.Field("Check") == "spf");
        Assert.Contains(errors, e => e.Field("Check") == "dkim");
        Assert.Contains(errors, e => e.Field("Check") == "dmarc");
        Assert.Single(await lab.Store.ListAsync("bob@bank.test", "INBOX", default));
    }
}
