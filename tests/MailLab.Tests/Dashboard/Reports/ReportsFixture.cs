using System.Net;
using MailLab.Server.Reports;
using MailLab.Server.Trace;
using MailLab.Tests.Dmarc;
using MailLab.Tests.Relay;
using MailLab.Tests.Support;
using static MailLab.Tests.Dashboard.DashboardKit;

namespace MailLab.Tests.Dashboard.Reports;

/// <summary>
/// One classroom lab (sign-in required) with real DMARC reports, made once for the report tests: alice's legitimate mail to
/// bob, two forged "CEO" mails from evil's address that bank rejects (each gives postmaster@bank.test a failure report,
/// ruf= fo=1), then what <c>maillab dmarc report send</c> asks for, so postmaster@bank.test receives bank's aggregate report.
/// </summary>
public sealed class ReportsFixture : IAsyncLifetime
{
    public TestLab Lab { get; private set; } = null!;

    /// <summary>The aggregate report bank sent about bank.test (its DmarcReportSent event).</summary>
    public TraceEvent Sent { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Lab = TestLab.FromYaml(TestLab.LabYaml(dmarcMonitorOnly: false) + SignInSection).Start();
        await RelayTestHelpers.SubmitAsAlice(Lab, "legit", "bob@bank.test");
        await RelayTestHelpers.OnlyMessage(Lab, "bob@bank.test");
        for (int i = 0; i < 2; i++) Assert.StartsWith("550 5.7.1 DMARC", await DmarcAtMtaTests.SendForged(Lab));
        // The two failure reports (mail from bank to its own postmaster) are evaluated, and so collected, before the send.
        await Lab.WaitForEvent(e => e.Kind == TraceKind.DmarcEvaluated
            && Lab.Events(TraceKind.DmarcEvaluated).Count(x => x.Field("FromDomain") == "bank.test" && x.Field("Result") == "pass") == 2, 20_000);
        DmarcReporter.RequestSend(Path.Combine(Lab.DataDirectory, "dmarc"));
        Sent = await Lab.WaitForEvent(e => e.Kind == TraceKind.DmarcReportSent && e.Field("PolicyDomain") == "bank.test" && e.Field("Messages") is not null, 20_000);
        await AggregateReportTests.MailWithSubject(Lab, "postmaster@bank.test", "Report Domain: bank.test");
    }

    public async Task DisposeAsync() => await Lab.DisposeAsync();

    /// <summary>A client signed in as <paramref name="user"/> (the instructor by default).</summary>
    public async Task<HttpClient> SignedIn(string user = "instructor", string password = InstructorPassword)
    {
        var http = Client(Lab);
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(http, user, password)).StatusCode);
        return http;
    }
}
