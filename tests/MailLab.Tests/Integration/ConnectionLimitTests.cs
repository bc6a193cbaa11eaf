using System.Net;
using System.Net.Sockets;
using MailLab.Server.Relay;
using MailLab.Server.Trace;
using MailLab.Tests.Relay;
using MailLab.Tests.Support;

namespace MailLab.Tests.Integration;

/// <summary>
/// Issue 20 item 10: max-connections-per-client counts per listener, and a lab site's own relay is
/// never starved by a student who borrowed the site's address (docs/architecture.md, "Connection limits").
/// </summary>
public sealed class ConnectionLimitTests
{
    private const string Uc = "127.0.1.1";

    private static TestLab Lab()
    {
        // bank also serves POP3 here, so the idle connections can be spread over two other listeners.
        var yaml = TestLab.LabYaml(perClient: 20).Replace(
            "address: 127.0.2.1\n    ports: { mta: 0, submission: 0, submissions: 0 }",
            "address: 127.0.2.1\n    ports: { mta: 0, submission: 0, submissions: 0, pop3: 0 }");
        Assert.Contains("pop3: 0", yaml);
        return TestLab.FromYaml(yaml).Start(StaticMxResolver.Simple(("bank.test", "mx.bank.test", "127.0.2.1")));
    }

    /// <summary>Opens <paramref name="count"/> idle connections from <paramref name="from"/>, each past its greeting.</summary>
    private static async Task<List<TcpClient>> Hold(IPEndPoint to, string from, int count, string greeting)
    {
        var held = new List<TcpClient>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        for (int i = 0; i < count; i++)
        {
            var c = new TcpClient();
            c.Client.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
            await c.ConnectAsync(to, cts.Token);
            held.Add(c);
            var first = await new ClientLines(c.GetStream()).ReadLineAsync(cts.Token);
            Assert.True(first?.StartsWith(greeting) == true, $"connection {i + 1}: {first}");
        }
        return held;
    }

    private static async Task<string?> Greeting(IPEndPoint to, string from)
    {
        using var c = new TcpClient();
        c.Client.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
        await c.ConnectAsync(to);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await new ClientLines(c.GetStream()).ReadLineAsync(cts.Token);
    }

    [Fact]
    public async Task Idle_connections_to_other_listeners_do_not_block_the_relay_to_the_MTA()
    {
        await using var lab = Lab();
        var held = new List<TcpClient>();
        try
        {
            held.AddRange(await Hold(lab.Runtime!.EndPoint("bank", "MSA", "starttls"), Uc, 20, "220"));
            held.AddRange(await Hold(lab.Runtime!.EndPoint("bank", "POP3", "starttls"), Uc, 20, "+OK"));
            // Each listener still has its own limit for that address.
            Assert.StartsWith("421 4.7.0", await Greeting(lab.Runtime!.EndPoint("bank", "MSA", "starttls"), Uc));
            Assert.StartsWith("-ERR", await Greeting(lab.Runtime!.EndPoint("bank", "POP3", "starttls"), Uc));

            await RelayTestHelpers.SubmitAsAlice(lab, "not starved", "bob@bank.test");
            var outcome = await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered", 30_000);
            Assert.Equal("1", outcome.Field("Attempts"));
        }
        finally
        {
            held.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task A_student_holding_the_MTA_from_the_sites_address_does_not_starve_its_relay()
    {
        await using var lab = Lab();
        var mta = lab.Runtime!.EndPoint("bank", "MTA");
        var held = new List<TcpClient>();
        try
        {
            // A student binds uc's address (any local process can) and fills bank's MTA limit for it.
            held.AddRange(await Hold(mta, Uc, 20, "220"));
            Assert.StartsWith("421 4.7.0", await Greeting(mta, Uc)); // the limit still holds for the student

            // uc's relay is recognised as the lab's own connection and gets through.
            await RelayTestHelpers.SubmitAsAlice(lab, "still flows", "bob@bank.test");
            var outcome = await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered", 30_000);
            Assert.Equal("1", outcome.Field("Attempts"));
            Assert.Contains("still flows", await RelayTestHelpers.OnlyMessage(lab, "bob@bank.test"));
            Assert.Contains(lab.Events(TraceKind.SessionOpened), e => e.Site == "bank" && e.Field("Client") == Uc && e.Field("LabRelay") == "True");
        }
        finally
        {
            held.ForEach(c => c.Dispose());
        }
    }
}
