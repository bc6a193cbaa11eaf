using System.Net;
using System.Net.Sockets;
using System.Text;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Spf;

/// <summary>SPF at the MTA over real sockets and the real lab DNS (bank.test: "v=spf1 ip4:127.0.2.1 -all").</summary>
public sealed class SpfAtMtaTests
{
    private const string Body = "From: The CEO <ceo@bank.test>\r\nTo: bob@bank.test\r\nSubject: urgent\r\n\r\nPay now.\r\n.";

    /// <summary>A raw client bound to <paramref name="from"/> talking to bank's MTA; returns each reply.</summary>
    private static async Task<List<string>> Talk(TestLab lab, string from, params string[] commands)
    {
        var mta = lab.Runtime!.EndPoint("bank", "MTA");
        using var tcp = new TcpClient();
        tcp.Client.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
        await tcp.ConnectAsync(mta);
        var stream = tcp.GetStream();
        var lines = new ClientLines(stream);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.StartsWith("220 ", await lines.ReadReplyAsync(cts.Token));
        var replies = new List<string>();
        foreach (var c in commands)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(c + "\r\n"), cts.Token);
            replies.Add((await lines.ReadReplyAsync(cts.Token))!);
        }
        return replies;
    }

    private static async Task<string> OnlyMessage(TestLab lab, string user)
    {
        var list = await lab.Store.ListAsync(user, "INBOX", default);
        await using var s = (await lab.Store.OpenReadAsync(Assert.Single(list), default))!;
        return await new StreamReader(s).ReadToEndAsync();
    }

    // The test's own session: bank may then mail a DMARC failure report to itself (issue 6), a session of its own.
    private static string? FirstSession(TestLab lab) => lab.Events(TraceKind.SpfResult)[0].Session;

    private static TraceEvent SpfResultOf(TestLab lab, string identity) =>
        Assert.Single(lab.Events(TraceKind.SpfResult), e => e.Field("Identity") == identity && e.Session == FirstSession(lab));

    [Fact]
    public async Task Forged_ceo_from_evil_address_is_accepted_marked_fail_and_every_step_is_traced()
    {
        await using var lab = TestLab.Create().Start();
        var r = await Talk(lab, "127.0.3.1", "HELO evil.test", "MAIL FROM:<ceo@bank.test>", "RCPT TO:<bob@bank.test>", "DATA", Body, "QUIT");
        Assert.StartsWith("250", r[1]);
        Assert.StartsWith("250", r[4]);

        var text = await OnlyMessage(lab, "bob@bank.test");
        var spfLine = text.IndexOf("Received-SPF: fail (mx.bank.test: domain of ceo@bank.test does not designate 127.0.3.1", StringComparison.Ordinal);
        Assert.True(spfLine >= 0, text);
        Assert.Contains("client-ip=127.0.3.1; envelope-from=\"ceo@bank.test\"; helo=evil.test; receiver=mx.bank.test; identity=mailfrom; mechanism=-all", text);
        // RFC 7208 §9.1: above the Received field of the same hop.
        Assert.True(spfLine < text.IndexOf("Received: from evil.test", StringComparison.Ordinal));

        var steps = lab.Events(TraceKind.SpfStep).Where(e => e.Field("Identity") == "mailfrom" && e.Session == FirstSession(lab)).ToList();
        Assert.True(steps.Count >= 2);
        Assert.All(steps, s => Assert.Equal(TraceRole.MTA, s.Role));
        Assert.Contains(steps, s => s.Field("Term") == "ip4:127.0.2.1" && s.Field("Matched") == "False");
        Assert.Equal("-all", steps[^1].Field("Term"));
        Assert.Equal("True", steps[^1].Field("Matched"));
        var result = SpfResultOf(lab, "mailfrom");
        Assert.Equal("fail", result.Field("Result"));
        Assert.Equal("bank.test", result.Field("Domain"));
        Assert.Equal("-all", result.Field("DecidingTerm"));
        Assert.Equal("127.0.3.1", result.Field("ClientIp"));
        Assert.Equal("ceo@bank.test", result.Field("Sender"));
        Assert.Equal(result.Session, steps[0].Session);

        // The HELO identity is checked too (RFC 7208 §2.3): evil.test does designate 127.0.3.1.
        var helo = SpfResultOf(lab, "helo");
        Assert.Equal("pass", helo.Field("Result"));
        Assert.Equal("postmaster@evil.test", helo.Field("Sender"));
        Assert.Contains(lab.Events(TraceKind.SpfStep), e => e.Field("Identity") == "helo" && e.Field("Domain") == "evil.test");

        Assert.Contains(lab.Events(TraceKind.HeaderAdded), e => e.Field("Header") == "Received-SPF" && e.Field("Value")!.StartsWith("fail "));
    }

    [Fact]
    public async Task Bank_mail_from_the_bank_address_passes()
    {
        await using var lab = TestLab.Create().Start();
        var r = await Talk(lab, "127.0.2.1", "EHLO mx.bank.test", "MAIL FROM:<ceo@bank.test>", "RCPT TO:<bob@bank.test>", "DATA", Body, "QUIT");
        Assert.StartsWith("250", r[4]);
        var text = await OnlyMessage(lab, "bob@bank.test");
        Assert.Contains("Received-SPF: pass (mx.bank.test: domain of ceo@bank.test designates 127.0.2.1 as permitted sender)", text);
        Assert.Contains("client-ip=127.0.2.1;", text);
        Assert.Contains("mechanism=\"ip4:127.0.2.1\"", text);
        var result = SpfResultOf(lab, "mailfrom");
        Assert.Equal("pass", result.Field("Result"));
        Assert.Equal("ip4:127.0.2.1", result.Field("DecidingTerm"));
        // mx.bank.test publishes no SPF record of its own.
        Assert.Equal("none", SpfResultOf(lab, "helo").Field("Result"));
    }

    [Theory]
    [InlineData("alice@uc.test", "softfail", "~all")]      // uc.test: "v=spf1 ip4:127.0.1.1 ~all"
    [InlineData("mallory@evil.test", "pass", "+all")]      // evil.test: "v=spf1 +all"
    [InlineData("ceo@bank.test", "fail", "-all")]          // bank.test: "v=spf1 ip4:127.0.2.1 -all"
    public async Task The_three_default_records_give_three_results_from_the_same_address(string sender, string expected, string term)
    {
        await using var lab = TestLab.Create().Start();
        var r = await Talk(lab, "127.0.3.1", "EHLO mx.evil.test", $"MAIL FROM:<{sender}>", "RCPT TO:<bob@bank.test>", "DATA", Body, "QUIT");
        Assert.StartsWith("250", r[4]);
        Assert.Contains($"Received-SPF: {expected} ", await OnlyMessage(lab, "bob@bank.test"));
        var result = SpfResultOf(lab, "mailfrom");
        Assert.Equal(expected, result.Field("Result"));
        Assert.Equal(term, result.Field("DecidingTerm"));
    }

    [Fact]
    public async Task With_reject_spf_fail_the_forgery_is_refused_with_5_7_23_and_nothing_is_stored()
    {
        await using var lab = TestLab.Create(rejectSpfFail: true).Start();
        var r = await Talk(lab, "127.0.3.1", "HELO evil.test", "MAIL FROM:<ceo@bank.test>", "RCPT TO:<bob@bank.test>", "QUIT");
        Assert.Equal("550 5.7.23 SPF fail: bank.test does not designate 127.0.3.1 as permitted sender", r[1]);
        Assert.StartsWith("503", r[2]); // no transaction was opened
        var refused = Assert.Single(lab.Events(TraceKind.PolicyRejected));
        Assert.Equal("spf fail", refused.Field("Reason"));
        Assert.Equal("5.7.23", refused.Field("Enhanced"));
        Assert.Empty(await lab.Store.ListAsync("bob@bank.test", "INBOX", default));
        Assert.Empty(lab.Events(TraceKind.EnvelopeMailFrom));
    }

    [Fact]
    public async Task With_reject_spf_fail_a_passing_sender_is_still_accepted()
    {
        await using var lab = TestLab.Create(rejectSpfFail: true).Start();
        var r = await Talk(lab, "127.0.2.1", "HELO mx.bank.test", "MAIL FROM:<ceo@bank.test>", "QUIT");
        Assert.StartsWith("250", r[1]);
    }

    [Fact]
    public async Task A_domain_outside_the_lab_has_no_SPF_record()
    {
        await using var lab = TestLab.Create(rejectSpfFail: true).Start();
        var r = await Talk(lab, "127.0.3.1", "HELO evil.test", "MAIL FROM:<someone@elsewhere.example>", "RCPT TO:<bob@bank.test>", "DATA", Body, "QUIT");
        Assert.StartsWith("250", r[1]);
        Assert.StartsWith("250", r[4]);
        var result = SpfResultOf(lab, "mailfrom");
        Assert.Equal("none", result.Field("Result"));
        Assert.Equal("elsewhere.example", result.Field("Domain"));
        Assert.Contains("Received-SPF: none (mx.bank.test: domain of someone@elsewhere.example does not provide an SPF record)", await OnlyMessage(lab, "bob@bank.test"));
    }

    [Fact]
    public async Task Empty_mail_from_is_checked_as_postmaster_at_the_helo_domain()
    {
        await using var lab = TestLab.Create().Start();
        var r = await Talk(lab, "127.0.3.1", "HELO evil.test", "MAIL FROM:<>", "QUIT");
        Assert.StartsWith("250", r[1]);
        var result = SpfResultOf(lab, "mailfrom");
        Assert.Equal("postmaster@evil.test", result.Field("Sender"));
        Assert.Equal("pass", result.Field("Result"));
    }
}
