using System.Net;
using System.Net.Sockets;
using System.Text;
using MailLab.Server.Trace;
using MailLab.Tests.Relay;
using MailLab.Tests.Support;

namespace MailLab.Tests.Dmarc;

/// <summary>
/// DMARC at bank.test's MTA over real sockets and the real lab DNS: the lecture's forged CEO mail,
/// its policy switched by editing the zone file, and the ambiguous-From tricks.
/// </summary>
public sealed class DmarcAtMtaTests
{
    internal const string ForgedCeo = "From: The CEO <ceo@bank.test>\r\nTo: bob@bank.test\r\nSubject: urgent\r\n\r\nPay now.\r\n.";

    /// <summary>A raw SMTP client bound to <paramref name="from"/> talking to bank's MTA; returns each reply.</summary>
    internal static async Task<List<string>> Talk(TestLab lab, string from, params string[] commands)
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

    /// <summary>The forged CEO mail from evil's address, by hand; returns the reply to the end of DATA.</summary>
    internal static async Task<string> SendForged(TestLab lab, string content = ForgedCeo, string mailFrom = "mallory@evil.test")
    {
        var r = await Talk(lab, "127.0.3.1", "EHLO mx.evil.test", $"MAIL FROM:<{mailFrom}>", "RCPT TO:<bob@bank.test>", "DATA", content, "QUIT");
        Assert.StartsWith("354", r[3]);
        return r[4];
    }

    /// <summary>Rewrites bank.test's _dmarc record in the served zone copy and waits until the DNS reloaded it.</summary>
    internal static async Task SetBankPolicy(TestLab lab, string record)
    {
        var zone = Path.Combine(lab.DataDirectory, "zones", "bank.test.zone");
        var lines = (await File.ReadAllLinesAsync(zone)).Select(l => l.StartsWith("_dmarc") ? $"_dmarc  IN  TXT  \"{record}\"" : l);
        var before = lab.Tracer.Stream.Count;
        await File.WriteAllLinesAsync(zone, lines);
        await lab.WaitForEvent(e => e.Sequence > before && e.Kind == TraceKind.ZoneLoaded && e.Text.Contains("bank.test"), 5_000);
    }

    internal static async Task<string> OnlyIn(TestLab lab, string user, string folder)
    {
        var list = await lab.Store.ListAsync(user, folder, default);
        await using var s = (await lab.Store.OpenReadAsync(Assert.Single(list), default))!;
        return await new StreamReader(s).ReadToEndAsync();
    }

    // The first evaluation: the one of the message sent; failure reports that bank mails to itself come after.
    private static TraceEvent Dmarc(TestLab lab) => lab.Events(TraceKind.DmarcEvaluated)[0];

    [Fact]
    public async Task Legitimate_uc_mail_to_bank_passes_with_aligned_spf_and_one_authentication_results()
    {
        await using var lab = TestLab.Create(dmarcMonitorOnly: false, showDmarcVerdict: true).Start();
        await RelayTestHelpers.SubmitAsAlice(lab, "quarterly figures", "bob@bank.test");
        var text = await RelayTestHelpers.OnlyMessage(lab, "bob@bank.test");
        // uc's MSA signs with both lab keys (DKIM branch); both verify at bank and align with From: uc.test.
        var ar = text[text.IndexOf("Authentication-Results: ", StringComparison.Ordinal)..];
        ar = ar[..ar.IndexOf("\r\n", ar.IndexOf("dmarc=", StringComparison.Ordinal), StringComparison.Ordinal)];
        Assert.StartsWith("Authentication-Results: mx.bank.test;\r\n\tspf=pass smtp.mailfrom=alice@uc.test;\r\n\t", ar);
        Assert.Contains("\tdkim=pass header.d=uc.test header.s=lab-rsa;\r\n", ar);
        Assert.Contains("\tdkim=pass header.d=uc.test header.s=lab-ed25519;\r\n", ar);
        Assert.EndsWith("\tdmarc=pass (p=none dis=none RFC 9989) header.from=uc.test", ar);
        Assert.Single(text.Split("\r\n"), l => l.StartsWith("Authentication-Results:"));
        Assert.Contains("Subject: quarterly figures\r\n", text); // a pass is not tagged
        Assert.Contains("X-MailLab-DMARC: pass for uc.test (p=none; SPF aligned, DKIM aligned; delivered to INBOX)", text);
        var e = Dmarc(lab);
        Assert.Equal((TraceRole.MTA, "bank"), (e.Role, e.Site));
        Assert.Equal(("pass", "uc.test", "none", "none", "True", "True"),
            (e.Field("Result"), e.Field("FromDomain"), e.Field("Policy"), e.Field("Disposition"), e.Field("SpfAligned"), e.Field("DkimAligned")));
    }

    [Fact]
    public async Task Forged_ceo_from_evil_is_rejected_550_naming_dmarc_and_the_domain()
    {
        await using var lab = TestLab.Create(dmarcMonitorOnly: false).Start();
        var reply = await SendForged(lab);
        Assert.Equal("550 5.7.1 DMARC: bank.test asks to reject mail that fails DMARC (p=reject): no aligned SPF or DKIM pass", reply);
        Assert.Empty(await lab.Store.ListAsync("bob@bank.test", "INBOX", default));
        Assert.Empty(await lab.Store.ListAsync("bob@bank.test", "Junk", default));
        var e = Dmarc(lab);
        Assert.Equal(("fail", "bank.test", "reject", "reject", "False", "False"),
            (e.Field("Result"), e.Field("FromDomain"), e.Field("Policy"), e.Field("Disposition"), e.Field("SpfAligned"), e.Field("DkimAligned")));
        Assert.Contains("no aligned SPF or DKIM pass for bank.test", e.Field("Reason"));
        Assert.Contains("spf evil.test (pass): relaxed: organisational domain evil.test is not bank.test", e.Text + string.Join("|", (string[])e.Fields["Alignments"]!));
        Assert.Contains(lab.Events(TraceKind.ReplySent), r => r.Session == e.Session && r.Text.Contains("550 5.7.1 DMARC: bank.test"));
        Assert.Contains(lab.Events(TraceKind.MessageRejected), r => r.Session == e.Session && r.Field("Reason") == "dmarc fail");
    }

    [Fact]
    public async Task Quarantine_goes_to_junk_and_none_to_inbox_with_the_visible_verdict()
    {
        await using var lab = TestLab.Create(dmarcMonitorOnly: false, showDmarcVerdict: true).Start();
        await SetBankPolicy(lab, "v=DMARC1; p=quarantine; rua=mailto:postmaster@bank.test");
        Assert.StartsWith("250 ", await SendForged(lab));
        var junk = await OnlyIn(lab, "bob@bank.test", "Junk");
        Assert.Contains("Subject: [DMARC fail] urgent\r\n", junk);
        Assert.Contains("dmarc=fail (p=quarantine dis=quarantine RFC 9989) header.from=bank.test", junk);
        Assert.Contains("X-MailLab-DMARC: fail for bank.test (p=quarantine; SPF not aligned (passed for evil.test), no DKIM signature; quarantined to Junk)", junk);
        Assert.Empty(await lab.Store.ListAsync("bob@bank.test", "INBOX", default));
        Assert.Contains(lab.Events(TraceKind.LocalDelivery), d => d.Field("Folder") == "Junk");

        await SetBankPolicy(lab, "v=DMARC1; p=none; rua=mailto:postmaster@bank.test");
        Assert.StartsWith("250 ", await SendForged(lab));
        var inbox = await OnlyIn(lab, "bob@bank.test", "INBOX");
        Assert.Contains("Subject: [DMARC fail] urgent\r\n", inbox);
        Assert.Contains("dmarc=fail (p=none dis=none RFC 9989)", inbox);
        Assert.Equal(["quarantine", "none"], lab.Events(TraceKind.DmarcEvaluated).Where(e => e.Field("Result") == "fail").Select(e => e.Field("Disposition")));
    }

    [Fact]
    public async Task The_visible_verdict_says_spf_failed_when_it_failed_and_not_aligned_only_when_it_passed_elsewhere()
    {
        await using var lab = TestLab.Create(dmarcMonitorOnly: false, showDmarcVerdict: true).Start();
        await SetBankPolicy(lab, "v=DMARC1; p=quarantine");
        // The envelope forged too: evil's address is not in bank.test's SPF record.
        Assert.StartsWith("250 ", await SendForged(lab, mailFrom: "ceo@bank.test"));
        var junk = await OnlyIn(lab, "bob@bank.test", "Junk");
        Assert.Contains("X-MailLab-DMARC: fail for bank.test (p=quarantine; SPF failed, no DKIM signature; quarantined to Junk)", junk);
        Assert.DoesNotContain("not aligned", junk);
    }

    [Fact]
    public async Task Monitor_only_delivers_to_inbox_and_says_what_it_overrode()
    {
        await using var lab = TestLab.Create(dmarcMonitorOnly: true).Start();
        Assert.StartsWith("250 ", await SendForged(lab));
        var inbox = await OnlyIn(lab, "bob@bank.test", "INBOX");
        Assert.Contains("dmarc=fail (p=reject dis=reject RFC 9989)", inbox); // the header tells the owner's request
        Assert.Contains("Subject: urgent\r\n", inbox);                          // no tag: show-dmarc-verdict is off
        var e = Dmarc(lab);
        Assert.Equal(("none", "reject"), (e.Field("Disposition"), e.Field("Requested")));
        Assert.Equal("local override: monitor only (would have been reject)", e.Field("Override"));
    }

    [Fact]
    public async Task Incoming_authentication_results_with_our_authserv_id_are_removed_others_kept()
    {
        await using var lab = TestLab.Create(dmarcMonitorOnly: false).Start();
        var content = "Authentication-Results: mx.bank.test; dmarc=pass header.from=evil.test\r\n" +
            "Authentication-Results: MX.BANK.TEST;\r\n spf=pass\r\n" +
            "Authentication-Results: mx.elsewhere.test; dmarc=pass\r\n" +
            "From: mallory@evil.test\r\nTo: bob@bank.test\r\nSubject: hi\r\n\r\nhello\r\n.";
        Assert.StartsWith("250 ", await SendForged(lab, content));
        var text = await OnlyIn(lab, "bob@bank.test", "INBOX");
        Assert.Single(text.Split("\r\n"), l => l.StartsWith("Authentication-Results: mx.bank.test;"));
        Assert.DoesNotContain("MX.BANK.TEST", text);
        Assert.DoesNotContain("dmarc=pass header.from=evil.test", text);
        Assert.Contains("Authentication-Results: mx.elsewhere.test; dmarc=pass\r\n", text);
        Assert.Contains("dmarc=pass (p=none dis=none RFC 9989) header.from=evil.test", text); // evil.test's own mail, aligned SPF
        Assert.Equal("2", Assert.Single(lab.Events(TraceKind.HeaderRemoved)).Field("Removed"));
    }

    [Fact]
    public async Task Each_ambiguous_from_trick_gets_its_documented_verdict()
    {
        await using var lab = TestLab.Create(dmarcMonitorOnly: false).Start();
        var tricks = new (string Headers, string Keyword)[]
        {
            ("From: ceo@bank.test\r\nFrom: mallory@evil.test\r\n", "several-from"),
            ("From: mallory@evil.test, ceo@bank.test\r\n", "several-addresses"),
            ("From: <mallory@evil.test><ceo@bank.test>\r\n", "several-addresses"),
            ("From : ceo@bank.test\r\nFrom: mallory@evil.test\r\n", "odd-from-field"),
            (" From: ceo@bank.test\r\nTo: bob@bank.test\r\n", "odd-from-field"),
            ("Sender: mallory@evil.test\r\n", "no-from"),
            ("From: =?utf-8?B?Y2VvQGJhbmsudGVzdA==?=\r\n", "encoded-address"),
            ("From: <@evil.test:ceo@bank.test>\r\n", "source-route"),
            ("From: Bank: ceo@bank.test;\r\n", "group-in-from"),
            ("From: <ceo@bank.test(.evil.test)>\r\n", "from-syntax"),
            ("From: ceo@[127.0.2.1]\r\n", "domain-literal"),
        };
        foreach (var (headers, keyword) in tricks)
        {
            var reply = await SendForged(lab, headers + "Subject: trick\r\n\r\nbody\r\n.");
            Assert.StartsWith($"550 5.7.1 DMARC: ambiguous From refused ({keyword}): ", reply);
        }
        Assert.Empty(await lab.Store.ListAsync("bob@bank.test", "INBOX", default));
        Assert.All(lab.Events(TraceKind.DmarcEvaluated), e => Assert.Equal(("permerror", "reject"), (e.Field("Result"), e.Field("Disposition"))));
        Assert.Equal(tricks.Select(t => t.Keyword), lab.Events(TraceKind.DmarcEvaluated).Select(e => e.Field("FromProblem")));
    }
}
