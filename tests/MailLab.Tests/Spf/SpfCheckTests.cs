using System.Net;
using System.Net.Sockets;
using MailLab.MailAuth.Spf;
using MailLab.Server.Checks;
using MailLab.Server.Dns;
using MailLab.Server.Smtp;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Spf;

/// <summary>The SPF check as a value, the lab-DNS resolver, and the session without DNS.</summary>
public sealed class SpfCheckTests
{
    /// <summary>A resolver whose every query hangs until cancelled, like a DNS that never answers.</summary>
    private sealed class HangingResolver : ISpfResolver
    {
        public async Task<DnsAnswer<string>> LookupTxtAsync(string name, CancellationToken ct) { await Task.Delay(Timeout.Infinite, ct); return DnsAnswer<string>.None(); }
        public async Task<DnsAnswer<IPAddress>> LookupAddressesAsync(string name, AddressFamily family, CancellationToken ct) { await Task.Delay(Timeout.Infinite, ct); return DnsAnswer<IPAddress>.None(); }
        public async Task<DnsAnswer<MxRecord>> LookupMxAsync(string name, CancellationToken ct) { await Task.Delay(Timeout.Infinite, ct); return DnsAnswer<MxRecord>.None(); }
        public async Task<DnsAnswer<string>> LookupPtrAsync(IPAddress address, CancellationToken ct) { await Task.Delay(Timeout.Infinite, ct); return DnsAnswer<string>.None(); }
    }

    private static readonly IPAddress Evil = IPAddress.Parse("127.0.3.1");

    [Fact]
    public async Task A_hanging_DNS_gives_temperror_within_the_time_limit()
    {
        var started = DateTime.UtcNow;
        var r = await SpfCheck.EvaluateAsync(new HangingResolver(), "mx.bank.test", Evil, "evil.test", "ceo@bank.test", rejectFail: true,
            CancellationToken.None, TimeSpan.FromMilliseconds(200));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
        Assert.Equal(SpfResultCode.TempError, r.MailFrom.Result);
        Assert.Equal(SpfResultCode.TempError, r.Helo.Result);
        Assert.Contains("longer than 0.2 s", r.MailFrom.Problem);
        Assert.Null(r.Refusal); // only fail is refused
        Assert.True(r.Ran);
    }

    [Fact]
    public async Task Cancellation_of_the_session_propagates()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            SpfCheck.EvaluateAsync(new HangingResolver(), "mx.bank.test", Evil, "evil.test", "ceo@bank.test", false, cts.Token));
    }

    [Fact]
    public async Task Without_a_resolver_both_identities_are_none_with_a_reason()
    {
        var r = await SpfCheck.EvaluateAsync(null, "mx.bank.test", Evil, "evil.test", "", rejectFail: true, CancellationToken.None);
        Assert.False(r.Ran);
        Assert.Equal(SpfResultCode.None, r.MailFrom.Result);
        Assert.Equal("no resolver", r.MailFrom.Problem);
        Assert.Equal("postmaster@evil.test", r.MailFrom.Sender);
        Assert.Null(r.Refusal);
    }

    [Fact]
    public void The_refusal_carries_the_exp_text_when_there_is_one()
    {
        var fail = new SpfResult(SpfResultCode.Fail, "bank.test", "Not our server: see https://bank.test/spf", [], "-all", null) { ClientIp = Evil };
        var refusal = SpfCheck.RefusalFor(fail)!;
        Assert.False(refusal.Accepted);
        Assert.Equal(550, refusal.Reply.Code);
        Assert.Equal("5.7.23", refusal.Reply.Enhanced);
        Assert.Equal("Not our server: see https://bank.test/spf", Assert.Single(refusal.Reply.Lines));
        Assert.Equal("spf fail", refusal.Reason);
        Assert.Null(SpfCheck.RefusalFor(fail with { Result = SpfResultCode.SoftFail }));
    }

    [Fact]
    public async Task An_address_literal_HELO_is_not_checked()
    {
        var r = await SpfCheck.EvaluateAsync(new HangingResolver(), "mx.bank.test", Evil, "[127.0.3.1]", "x@y.test", false,
            CancellationToken.None, TimeSpan.FromMilliseconds(100));
        Assert.Equal(SpfResultCode.None, r.Helo.Result);
        Assert.Empty(r.Helo.Steps);
    }

    [Fact]
    public async Task The_lab_DNS_answers_MX_PTR_TXT_and_void_as_SPF_answers()
    {
        await using var lab = TestLab.Create().Start();
        var spf = new LabSpfResolver(new LabResolver(lab.Runtime!.Dns!.EndPoint));
        var mx = await spf.LookupMxAsync("bank.test", default);
        Assert.Equal(DnsAnswerKind.Records, mx.Kind);
        Assert.Equal(new MxRecord(10, "mx.bank.test"), Assert.Single(mx.Records));
        var ptr = await spf.LookupPtrAsync(IPAddress.Parse("127.0.2.1"), default);
        Assert.Equal("mx.bank.test", Assert.Single(ptr.Records));
        var txt = await spf.LookupTxtAsync("bank.test", default);
        Assert.Contains("v=spf1 ip4:127.0.2.1 -all", txt.Records);
        var a = await spf.LookupAddressesAsync("mx.bank.test", AddressFamily.InterNetwork, default);
        Assert.Equal(IPAddress.Parse("127.0.2.1"), Assert.Single(a.Records));
        Assert.Equal(DnsAnswerKind.Void, (await spf.LookupAddressesAsync("mx.bank.test", AddressFamily.InterNetworkV6, default)).Kind);
        Assert.Equal(DnsAnswerKind.Void, (await spf.LookupTxtAsync("nosuch.bank.test", default)).Kind);
        Assert.Equal(DnsAnswerKind.Void, (await spf.LookupMxAsync("elsewhere.example", default)).Kind);
        Assert.Equal(DnsAnswerKind.Void, (await spf.LookupPtrAsync(IPAddress.Parse("127.0.7.7"), default)).Kind);
    }

    [Fact]
    public async Task A_DNS_that_does_not_answer_is_a_temperror()
    {
        // A bound UDP socket that never replies: the query times out.
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var spf = new LabSpfResolver(new LabResolver((IPEndPoint)silent.LocalEndPoint!, TimeSpan.FromMilliseconds(200)));
        var txt = await spf.LookupTxtAsync("bank.test", default);
        Assert.Equal(DnsAnswerKind.TempError, txt.Kind);
        Assert.Contains("no answer from the lab DNS", txt.Error);
    }

    [Fact]
    public async Task A_transcript_MTA_without_DNS_skips_SPF_and_adds_no_header()
    {
        var lab = TestLab.Create();
        await using var t = await SmtpTranscript.StartAsync(lab.Site("bank"), SmtpProfile.Mta);
        await t.Expect("HELO evil.test", "250");
        await t.Expect("MAIL FROM:<ceo@bank.test>", "250");
        var result = Assert.Single(lab.Events(TraceKind.SpfResult), e => e.Field("Identity") == "mailfrom");
        Assert.Equal("none", result.Field("Result"));
        Assert.Equal("no resolver", result.Field("Problem"));
        Assert.Empty(lab.Events(TraceKind.SpfStep));
    }

    [Fact]
    public async Task The_MSA_does_not_evaluate_SPF()
    {
        var lab = TestLab.Create(plaintextAuth: true);
        await using var t = await SmtpTranscript.StartAsync(lab.Site("bank"), SmtpProfile.SubmissionProfile(implicitTls: false));
        await t.Expect("EHLO client.test", "250");
        await t.Expect("AUTH PLAIN " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("\0bob@bank.test\0lab-bob")), "235");
        await t.Expect("MAIL FROM:<bob@bank.test>", "250");
        Assert.Empty(lab.Events(TraceKind.SpfResult));
    }
}
