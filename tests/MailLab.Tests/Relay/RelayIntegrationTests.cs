using MailLab.Server.Relay;
using MailLab.Server.Trace;
using MailLab.Tests.Support;
using MimeKit;

namespace MailLab.Tests.Relay;

/// <summary>The real lab on port-0 listeners: MSA -> queue -> outbound SMTP -> another site's MTA.</summary>
public sealed class RelayIntegrationTests
{
    private static StaticMxResolver Resolver() => new(new Dictionary<string, MxLookup>
    {
        ["bank.test"] = new MxHosts([new MxHost(10, "mx.bank.test", [System.Net.IPAddress.Parse("127.0.2.1")])]),
        ["uc.test"] = new MxHosts([new MxHost(10, "mx.uc.test", [System.Net.IPAddress.Parse("127.0.1.1")])]),
        ["nullmx.test"] = new NullMx(),
        ["flaky.test"] = new TempError("SERVFAIL"),
    });

    [Fact]
    public async Task Submitted_mail_crosses_sites_with_two_Received_lines_and_STARTTLS()
    {
        await using var lab = TestLab.Create().Start(Resolver());
        await RelayTestHelpers.SubmitAsAlice(lab, "hello bank", "bob@bank.test");
        var outcome = await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered");
        Assert.StartsWith("250 2.0.0", outcome.Field("Reply"));
        Assert.Equal("mx.bank.test", outcome.Field("RemoteMta"));

        var text = await RelayTestHelpers.OnlyMessage(lab, "bob@bank.test");
        var message = MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)));
        Assert.StartsWith("Return-Path: <alice@uc.test>", text);
        var received = message.Headers.Where(h => h.Id == HeaderId.Received).Select(h => h.Value).ToList();
        Assert.Equal(2, received.Count);
        // Top: bank's MTA, received from uc's address over STARTTLS (ESMTPS, TLS details).
        Assert.Contains("from mx.uc.test ([127.0.1.1])", received[0]);
        Assert.Contains("by mx.bank.test (MailLab MTA) with ESMTPS", received[0]);
        Assert.Contains("version=TLS", received[0]);
        // Below: uc's MSA, where alice submitted with AUTH.
        Assert.Contains("by mx.uc.test (MailLab MSA) with ESMTPSA", received[1]);
        Assert.Equal("hello bank", message.Subject);

        // The trace tells the story: queued, MX lookup, connect from uc's address, dialogue, TLS.
        Assert.Single(lab.Events(TraceKind.QueueEntryAdded));
        var mx = lab.Events(TraceKind.RelayAttempt).First(e => e.Field("Step") == "mx-lookup");
        Assert.Equal("hosts", mx.Field("Outcome"));
        var connect = lab.Events(TraceKind.RelayAttempt).First(e => e.Field("Step") == "connect");
        Assert.Equal("127.0.1.1", connect.Field("From"));
        Assert.Equal(TraceRole.MTA, connect.Role);
        Assert.Contains(lab.Events(TraceKind.RelayCommandSent), e => e.Field("Line") == "EHLO mx.uc.test");
        Assert.Contains(lab.Events(TraceKind.RelayCommandSent), e => e.Field("Line") == "STARTTLS");
        Assert.Contains(lab.Events(TraceKind.RelayReplyReceived), e => e.Field("Line")!.StartsWith("220 mx.bank.test"));
        var tls = Assert.Single(lab.Events(TraceKind.TlsEstablished), e => e.Field("Direction") == "outbound");
        Assert.Equal("True", tls.Field("Verified"));
        Assert.Contains("mx.bank.test", tls.Field("PeerSubject"));
        // bank's MTA saw the connection come from uc's own address.
        Assert.Contains(lab.Events(TraceKind.SessionOpened), e => e.Site == "bank" && e.Field("Client") == "127.0.1.1" && e.Field("Profile") == "MTA");
        await lab.WaitForEvent(e => e.Kind == TraceKind.QueueEntryRemoved);
        Assert.Empty(lab.Runtime!.Queue.LoadAll());
    }

    [Fact]
    public async Task Unknown_domain_bounces_to_the_sender_as_a_DSN_and_known_one_is_delivered()
    {
        await using var lab = TestLab.Create().Start(Resolver());
        await RelayTestHelpers.SubmitAsAlice(lab, "partly lost", "x@nowhere.test", "bob@bank.test");
        await RelayTestHelpers.Outcome(lab, "x@nowhere.test", "failed");
        await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered");
        var sent = await lab.WaitForEvent(e => e.Kind == TraceKind.DsnSent);
        Assert.Equal("alice@uc.test", sent.Field("To"));

        var text = await RelayTestHelpers.OnlyMessage(lab, "alice@uc.test");
        Assert.StartsWith("Return-Path: <>", text); // a bounce has the null sender
        var dsn = MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)));
        var report = Assert.IsType<MultipartReport>(dsn.Body);
        Assert.Equal("delivery-status", report.ReportType);
        var status = report.OfType<MessageDeliveryStatus>().Single();
        var group = Assert.Single(status.StatusGroups.Where(g => g.Count > 0).Skip(1)); // only the failed recipient
        Assert.Equal("rfc822; x@nowhere.test", group["Final-Recipient"]);
        Assert.Equal("5.1.2", group["Status"]);
        Assert.StartsWith("smtp; 550 5.1.2", group["Diagnostic-Code"]);
        Assert.Contains("Subject: partly lost", DsnBuilderTests.PartText(report.Single(p => p.ContentType.MimeType == "text/rfc822-headers")));
        Assert.Contains("partly lost", await RelayTestHelpers.OnlyMessage(lab, "bob@bank.test"));
    }

    [Fact]
    public async Task Null_MX_fails_at_once_with_5_1_10_and_temperror_defers()
    {
        await using var lab = TestLab.Create().Start(Resolver());
        await RelayTestHelpers.SubmitAsAlice(lab, "nowhere to go", "a@nullmx.test", "b@flaky.test");
        var failed = await RelayTestHelpers.Outcome(lab, "a@nullmx.test", "failed");
        Assert.Equal("5.1.10", failed.Field("Status"));
        Assert.StartsWith("556", failed.Field("Reply"));
        var deferred = await RelayTestHelpers.Outcome(lab, "b@flaky.test", "deferred");
        Assert.Equal("4.4.3", deferred.Field("Status"));
        var entry = Assert.Single(lab.Runtime!.Queue.LoadAll());
        Assert.Equal(RecipientState.Deferred, entry.Recipients.Single(r => r.Address == "b@flaky.test").State);
        Assert.Empty(lab.Events(TraceKind.DsnSent)); // no bounce until every recipient is final
    }

    [Fact]
    public async Task Down_destination_defers_then_delivers_after_it_comes_up_and_a_flush()
    {
        var port = RelayTestHelpers.FreePort("127.0.4.1");
        var relay = $"relay:\n  relay-port: {port}\n  retry-intervals: [1h]\n";
        await using var lab = TestLab.Create(relay: relay).Start(new StaticMxResolver(new Dictionary<string, MxLookup>
        {
            ["far.test"] = new MxHosts([new MxHost(10, "mx.far.test", [System.Net.IPAddress.Parse("127.0.4.1")])]),
        }));
        await RelayTestHelpers.SubmitAsAlice(lab, "patience", "zed@far.test");
        var deferred = await RelayTestHelpers.Outcome(lab, "zed@far.test", "deferred");
        Assert.Equal("4.4.1", deferred.Field("Status"));
        Assert.Contains(lab.Events(TraceKind.RelayAttempt), e => e.Field("Step") == "connect-failed");

        // The destination comes up: a second lab whose one site listens on 127.0.4.1 at that port.
        var farYaml = $$"""
            name: far
            dns: { port: 0 }
            web: { port: 0 }
            sites:
              - name: far
                domains: [far.test]
                host-names: [mx.far.test]
                address: 127.0.4.1
                ports: { mta: {{port}}, submission: 0, submissions: 0 }
                users:
                  - { address: zed@far.test, password: lab-zed }
            """;
        await using var far = TestLab.FromYaml(farYaml).Start();
        RelayQueue.RequestFlush(lab.Runtime!.Queue.Directory); // what `maillab queue flush` does
        var delivered = await RelayTestHelpers.Outcome(lab, "zed@far.test", "delivered");
        Assert.Equal("2", delivered.Field("Attempts"));
        Assert.Contains("Subject: patience", await RelayTestHelpers.OnlyMessage(far, "zed@far.test"));
        Assert.Contains(far.Events(TraceKind.SessionOpened), e => e.Field("Client") == "127.0.1.1");
    }

    [Fact]
    public async Task MTA_still_refuses_to_relay_without_authentication()
    {
        await using var lab = TestLab.Create();
        await using var t = await SmtpTranscript.StartAsync(lab.Site("uc"), MailLab.Server.Smtp.SmtpProfile.Mta, "127.0.3.1");
        await t.Expect("EHLO mx.evil.test", "250");
        await t.Expect("MAIL FROM:<mallory@evil.test>", "250");
        await t.Expect("RCPT TO:<bob@bank.test>", "554 5.7.1");
        Assert.Empty(lab.Queue.LoadAll());
    }
}
