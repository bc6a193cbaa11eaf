using MailLab.Tests.Support;

namespace MailLab.Tests.Dashboard;

/// <summary>A test class whose every test gets a fresh running lab and an HTTP client of its dashboard (open, loopback).</summary>
public abstract class DashboardLabTest : IAsyncLifetime
{
    /// <summary>The lab of the running test.</summary>
    protected TestLab lab = null!;

    /// <summary>A client of <see cref="lab"/>'s dashboard.</summary>
    protected HttpClient http = null!;

    /// <summary>The lab to start: <see cref="DashboardKit.Lab"/> unless a class needs another.</summary>
    protected virtual TestLab StartLab() => DashboardKit.Lab();

    public Task InitializeAsync()
    {
        lab = StartLab();
        http = DashboardKit.Client(lab);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await lab.DisposeAsync();
    }
}
