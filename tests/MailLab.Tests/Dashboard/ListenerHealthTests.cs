using System.Net.Sockets;
using MailLab.Tests.Support;

namespace MailLab.Tests.Dashboard;

/// <summary>The Lab page's listener health is read from each listener's socket and loop, not assumed.</summary>
public sealed class ListenerHealthTests
{
    [Fact]
    public async Task A_listener_reports_listening_with_its_sessions_then_stopped_when_the_lab_stops()
    {
        await using var lab = TestLab.Create().Start();
        var runtime = lab.Runtime!;
        var mta = runtime.Listeners.Single(l => l.Site == "bank" && l.Role == "MTA");
        var dns = runtime.Listeners.Single(l => l.Role == "DNS");
        Assert.Equal(new("listening", 0), runtime.HealthOf(mta));
        Assert.Equal("listening", runtime.HealthOf(dns)!.Status);

        using (var client = new TcpClient())
        {
            await client.ConnectAsync(mta.Address, mta.Port);
            using var reader = new StreamReader(client.GetStream());
            Assert.StartsWith("220 ", await reader.ReadLineAsync()); // the session runs: greeted
            Assert.Equal(new("listening", 1), runtime.HealthOf(mta));
        }

        await runtime.StopAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("stopped", runtime.HealthOf(mta)!.Status);
        Assert.Equal("stopped", runtime.HealthOf(dns)!.Status);
    }
}
