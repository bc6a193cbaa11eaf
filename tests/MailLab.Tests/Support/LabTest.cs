namespace MailLab.Tests.Support;

/// <summary>A test class that gets a fresh default <see cref="TestLab"/> for each test (xunit makes one instance per test).</summary>
public abstract class LabTest : IAsyncLifetime
{
    /// <summary>The running lab of this test.</summary>
    protected TestLab lab = null!;

    public Task InitializeAsync()
    {
        lab = TestLab.Create();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await lab.DisposeAsync();
}
