using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MailLab.Server.Dashboard.Journey;
using MailLab.Server.Trace;
using MailLab.Tests.Dmarc;
using MailLab.Tests.Relay;
using MailLab.Tests.Support;

namespace MailLab.Tests.Dashboard.Journey;

/// <summary>
/// The journey read from a real lab's trace: the forged CEO mail (raw SMTP from evil's address) and a
/// legitimate alice → bob mail submitted with MailKit, relayed between the sites and fetched over IMAP.
/// </summary>
public sealed class JourneyLabTests
{
    /// <summary>The lecture's forgery: envelope and header From ceo@bank.test, sent from the evil site's machine.</summary>
    internal static async Task<string> ForgeCeoMail(TestLab lab)
    {
        var reply = await DmarcAtMtaTests.SendForged(lab, mailFrom: "ceo@bank.test");
        Assert.StartsWith("550 5.7.1 DMARC", reply);
        return (await lab.WaitForEvent(e => e.Kind == TraceKind.MessageReceived && e.Field("MailFrom") == "ceo@bank.test")).Message!;
    }

    [Fact]
    public async Task Forged_ceo_mail_shows_spf_fail_at_minus_all_dmarc_reject_and_the_550_with_their_rfc_sections()
    {
        await using var lab = TestLab.Create(dmarcMonitorOnly: false).Start();
        var id = await ForgeCeoMail(lab);

        var j = JourneyBuilder.Build(lab.Tracer.Stream.Query(), id);

        Assert.NotNull(j);
        Assert.Equal(("rejected", id), (j.Outcome, Assert.Single(j.Ids)));
        Assert.Equal(("ceo@bank.test", "bank.test", "bank.test", true, false, false),
            (j.Envelope.MailFrom, j.Envelope.EnvelopeDomain, j.Envelope.HeaderFromDomain, j.Envelope.SameDomain, j.Envelope.SpfAligned, j.Envelope.DkimAligned));
        Assert.Contains("ceo@bank.test", j.Envelope.HeaderFrom);

        var spf = Assert.Single(j.Spf, s => s.Identity == "mailfrom");
        Assert.Equal(("fail", "-all", "bank.test", "127.0.3.1"), (spf.Result, spf.DecidingTerm, spf.Domain, spf.ClientIp));
        Assert.Equal(("RFC 7208 §2.6.4", "RFC 7208 §2.4"), (spf.Rfc.Label, spf.IdentityRfc.Label));
        var lookup = spf.Terms[0];
        Assert.Equal(("(record lookup)", "RFC 7208 §4.4"), (lookup.Term, lookup.Rfc.Label));
        Assert.StartsWith("v=spf1", lookup.Answer);
        var all = Assert.Single(spf.Terms, t => t.Term == "-all");
        Assert.Equal((true, "RFC 7208 §5.1", "https://www.rfc-editor.org/rfc/rfc7208#section-5.1"), (all.Matched, all.Rfc.Label, all.Rfc.Url));
        Assert.Contains(spf.Terms, t => t.Term.StartsWith("ip4:", StringComparison.Ordinal) && t.Matched == false && t.Rfc.Label == "RFC 7208 §5.6");

        var dkim = Assert.Single(j.Dkim);
        Assert.Equal(("none", "RFC 8601 §2.7.1"), (dkim.Result, dkim.Rfc.Label));

        var dmarc = Assert.Single(j.Dmarc);
        Assert.Equal(("fail", "bank.test", "reject", "reject", false, false), (dmarc.Result, dmarc.FromDomain, dmarc.Policy, dmarc.Disposition, dmarc.SpfAligned, dmarc.DkimAligned));
        Assert.StartsWith("v=DMARC1", dmarc.Record);
        Assert.Equal(("bank.test", "RFC 9989 §4.7", "RFC 7489 §3.1"), (dmarc.OrgDomain, dmarc.PolicyRfc.Label, dmarc.AlignmentRfc.Label));

        var reply = Assert.Single(j.Replies);
        Assert.Equal((550, "5.7.1", "bank", "RFC 7489 §10.3"), (reply.Code, reply.Enhanced, reply.Site, reply.Rfc.Label));
        Assert.StartsWith("DMARC: bank.test asks to reject", reply.Text);

        // The timeline: received (with its Received line), checked, refused; nothing stored.
        var stages = j.Timeline.Select(s => s.Stage).Distinct().ToList();
        Assert.Equal(["MTA", "checks", "reply"], stages);
        Assert.Contains(j.Timeline, s => s.Stage == "MTA" && s.Summary == "C: MAIL FROM:<ceo@bank.test>" && s.Rfc.Label == "RFC 5321 §4.1.1.2");
        // Refused by a check, so no Received field was ever added (the header changes follow the checks).
        var received = Assert.Single(j.Timeline, s => s.Stage == "MTA" && s.QueueId == id);
        Assert.Equal(("received from mx.evil.test [127.0.3.1] in plaintext", null), (received.Summary[..received.Summary.IndexOf(':')], received.Received));
        Assert.Contains(j.Timeline, s => s.Stage == "checks" && s.Summary.StartsWith("SPF mailfrom ceo@bank.test", StringComparison.Ordinal) && s.Verdict == "fail");
        Assert.Contains(j.Timeline, s => s.Stage == "reply" && s.Summary.StartsWith("S: 550 5.7.1 DMARC", StringComparison.Ordinal) && s.Verdict == "rejected");
        Assert.DoesNotContain(j.Timeline, s => s.Stage == "MDA → store");
        Assert.Contains(j.Verdicts, v => v.Kind == "TLS" && v.Result == "plaintext");

        var html = JourneyPage.Render(j);
        Assert.Contains("<span aria-hidden=\"true\">✗</span> fail</span>", html);
        Assert.Contains("<a href=\"https://www.rfc-editor.org/rfc/rfc7208#section-5.1\">RFC 7208 §5.1</a>", html);
        Assert.Contains("<code class=\"reply\">550 5.7.1 DMARC: bank.test asks to reject", html);
        Assert.Contains("<ol class=\"timeline\">", html);
    }

    [Fact]
    public async Task A_body_changed_in_transit_shows_each_signatures_failing_step_and_both_body_hashes()
    {
        await using var lab = TestLab.Create().Start();
        var signed = Dkim.DkimLabHelpers.SignAsUc(lab, Dkim.DkimLabHelpers.Message);
        var results = await Dkim.DkimLabHelpers.SendToBank(lab, signed.Replace("100 EUR", "900 EUR"));

        var j = JourneyBuilder.Build(lab.Tracer.Stream.Query(), results[0].Message!);

        Assert.NotNull(j);
        Assert.Equal(2, j.Dkim.Count);
        Assert.All(j.Dkim, d =>
        {
            Assert.Equal(("fail", "body hash mismatch", false), (d.Result, d.Reason, d.BodyHashMatches));
            Assert.NotEqual(d.BodyHashClaimed, d.BodyHashComputed);
            Assert.StartsWith("body-hash: ", d.FailingStep);
            Assert.Equal(("RFC 6376 §6.1.3", false), (d.Steps.Single(s => s.Step == "body-hash").Rfc.Label, d.Steps.Single(s => s.Step == "body-hash").Ok));
            Assert.StartsWith("v=DKIM1", d.KeyAnswer);
        });
        Assert.Equal(["lab-rsa", "lab-ed25519"], j.Dkim.Select(d => d.Selector));
        var html = JourneyPage.Render(j);
        Assert.Contains("Failing step: <strong>body-hash: ", html);
        Assert.Contains("(✗ differs)", html);
    }

    [Fact]
    public async Task The_journey_read_back_from_trace_jsonl_is_the_one_built_from_the_live_stream()
    {
        var data = TempDir.New("journey");
        var logger = TraceLogging.Create(data, TextWriter.Null);
        MessageJourney? live;
        string id;
        await using (var lab = TestLab.FromYaml(TestLab.LabYaml(dmarcMonitorOnly: false), data: data, logger: logger).Start())
        {
            id = await ForgeCeoMail(lab);
            live = JourneyBuilder.Build(lab.Tracer.Stream.Query(), id);
        }
        logger.Dispose(); // flushes the file

        var file = await Server.Exercises.TraceFileReader.ReadAsync(data);
        var read = JourneyBuilder.Build(file.Events, id);

        Assert.NotNull(live);
        Assert.NotNull(read);
        Assert.Equal("fail", read.Spf.Single(s => s.Identity == "mailfrom").Result);
        var web = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(live, web), System.Text.Json.JsonSerializer.Serialize(read, web));
    }

    [Fact]
    public async Task Legitimate_mail_from_alice_to_bob_is_followed_across_both_sites_to_the_imap_fetch()
    {
        var yaml = TestLab.LabYaml(dmarcMonitorOnly: false)
            .Replace("ports: { mta: 0, submission: 0, submissions: 0 }", "ports: { mta: 0, submission: 0, submissions: 0, imap: 0 }");
        await using var lab = TestLab.FromYaml(yaml).Start();
        await RelayTestHelpers.SubmitAsAlice(lab, "quarterly figures", "bob@bank.test");
        var outcome = await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered");
        await FetchAllAsBob(lab);
        await lab.WaitForEvent(e => e.Kind == TraceKind.MailboxAccess && e.Field("Action") == "retrieve" && e.Site == "bank");

        var msaId = outcome.Message!;
        var bankId = outcome.Field("RemoteId");
        Assert.NotNull(bankId);
        var bankReceived = await lab.WaitForEvent(e => e.Kind == TraceKind.MessageReceived && e.Site == "bank");
        Assert.Equal(bankReceived.Message, bankId);

        // Asked by either hop's id, the journey is the whole message, first hop first.
        var j = JourneyBuilder.Build(lab.Tracer.Stream.Query(), msaId);
        var fromBank = JourneyBuilder.Build(lab.Tracer.Stream.Query(), bankId);
        Assert.NotNull(j);
        Assert.NotNull(fromBank);
        Assert.Equal([msaId, bankId], j.Ids);
        Assert.Equal(j.Ids, fromBank.Ids);
        Assert.Equal(bankId, fromBank.Id);
        Assert.Equal(("delivered", "quarterly figures"), (j.Outcome, j.Subject));
        Assert.Equal(("alice@uc.test", "uc.test", "uc.test", true), (j.Envelope.MailFrom, j.Envelope.EnvelopeDomain, j.Envelope.HeaderFromDomain, j.Envelope.SameDomain));

        // Stages in the order the message met them.
        var order = j.Timeline.Select(s => s.Stage).Distinct().ToList();
        Assert.Equal(["MUA → MSA", "queue", "reply", "relay", "MTA", "checks", "MDA → store", "fetch"], order);
        var submitted = Assert.Single(j.Timeline, s => s.Stage == "MUA → MSA" && s.Received is not null);
        Assert.Equal(("uc", "MSA", msaId, "RFC 6409 §4.3"), (submitted.Site, submitted.Role, submitted.QueueId, submitted.Rfc.Label));
        Assert.Matches(@"^alice@uc\.test submitted it from [0-9.]+ over TLS: \d+ octets for bob@bank\.test$", submitted.Summary);
        Assert.Contains("with ESMTPSA id " + msaId, submitted.Received);
        var relayed = Assert.Single(j.Timeline, s => s.Stage == "relay" && s.Verdict == "delivered");
        Assert.Contains($"next hop's id {bankId}", relayed.Summary);
        var atBank = Assert.Single(j.Timeline, s => s.Stage == "MTA" && s.Received is not null);
        Assert.Equal(("bank", bankId), (atBank.Site, atBank.QueueId));
        Assert.StartsWith("Received: from mx.uc.test ([127.0.1.1]) by mx.bank.test (MailLab MTA) with ESMTPS id " + bankId, atBank.Received);
        var stored = Assert.Single(j.Timeline, s => s.Stage == "MDA → store");
        Assert.Equal(("bank", "MDA", "delivered", "RFC 5598 §4.3.3"), (stored.Site, stored.Role, stored.Verdict, stored.Rfc.Label));
        var fetched = Assert.Single(j.Timeline, s => s.Stage == "fetch");
        Assert.Equal(("IMAP", "RFC 3501 §6.4.5"), (fetched.Role, fetched.Rfc.Label));

        // uc's MSA signed with both lab keys; bank verified both, bh= computed equal to claimed.
        Assert.Equal(2, j.DkimSigned.Count);
        Assert.Equal(2, j.Dkim.Count);
        Assert.All(j.Dkim, d =>
        {
            Assert.Equal(("pass", true, null, "uc.test"), (d.Result, d.BodyHashMatches, d.FailingStep, d.Domain));
            Assert.Equal(d.BodyHashClaimed, d.BodyHashComputed);
            Assert.Contains("from", d.SignedHeaders);
            Assert.Contains("._domainkey.uc.test", d.KeyQuery);
            Assert.StartsWith("v=DKIM1", d.KeyAnswer);
            Assert.Contains(d.Steps, s => s.Step == "body-hash" && s.Ok == true && s.Rfc.Label == "RFC 6376 §6.1.3");
            Assert.Contains(d.Steps, s => s.Step == "key" && s.Rfc.Label == "RFC 6376 §6.1.2");
        });
        Assert.Equal(j.DkimSigned.Select(s => s.BodyHash).Order(), j.Dkim.Select(d => d.BodyHashClaimed).Order());
        var spf = Assert.Single(j.Spf, s => s.Identity == "mailfrom");
        Assert.Equal(("pass", "uc.test", "bank"), (spf.Result, spf.Domain, spf.Site));
        var dmarc = Assert.Single(j.Dmarc);
        Assert.Equal(("pass", true, true), (dmarc.Result, dmarc.SpfAligned, dmarc.DkimAligned));
        Assert.Equal(250, Assert.Single(j.Replies, r => r.Site == "bank").Code);
        Assert.Contains(j.Verdicts, v => v.Kind == "TLS" && v.Site == "uc" && v.Result is "verified" or "unverified");

        // The index lists the message once, under its first hop's id.
        var listed = Assert.Single(JourneyBuilder.Recent(lab.Tracer.Stream.Query()), m => m.Ids.Contains(bankId));
        Assert.Equal((msaId, "delivered", "quarterly figures", "uc"), (listed.Id, listed.Outcome, listed.Subject, listed.Site));
        Assert.Equal(["bob@bank.test"], listed.To);
    }

    private static async Task FetchAllAsBob(TestLab lab)
    {
        var ep = lab.Runtime!.EndPoint("bank", "IMAP", "starttls");
        using var imap = new ImapClient { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false, Timeout = 20_000 };
        await imap.ConnectAsync(ep.Address.ToString(), ep.Port, SecureSocketOptions.StartTls);
        await imap.AuthenticateAsync("bob@bank.test", "lab-bob");
        await imap.Inbox.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(1, imap.Inbox.Count);
        var message = await imap.Inbox.GetMessageAsync(0);
        Assert.Equal("quarterly figures", message.Subject);
        await imap.DisconnectAsync(true);
    }
}
