using MailLab.Protocols.Dns;
using MailLab.Server.Dns;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Spf;

/// <summary>One lab DNS per suite scenario, started on first use on 127.0.0.1 with a free port, stopped at the end.</summary>
public sealed class SpfWireServers : IAsyncLifetime
{
    private readonly Dictionary<(string File, string Scenario), Task<(ZoneStore Zones, LabDnsServer Server)>> servers = [];

    /// <summary>The running server for the scenario of <paramref name="c"/>.</summary>
    internal Task<(ZoneStore Zones, LabDnsServer Server)> For(SpfSuiteCase c)
    {
        lock (servers)
        {
            if (!servers.TryGetValue((c.File, c.Scenario), out var started))
            {
                started = Task.Run(() => Start(SpfSuiteZones.For(c.File, c.Scenario)));
                servers[(c.File, c.Scenario)] = started;
            }
            return started;
        }
    }

    private static (ZoneStore, LabDnsServer) Start(SpfSuiteZones zones)
    {
        string dir = TempDir.New("spfwire");
        foreach (var (name, text) in zones.Files)
        {
            // Fail loudly here rather than let a broken zone turn into REFUSED answers.
            var parsed = ZoneFileParser.Parse(text, name, name[..^".zone".Length]);
            if (!parsed.Ok) throw new InvalidDataException($"{name}: {string.Join("; ", parsed.Errors)}\n{text}");
            File.WriteAllText(Path.Combine(dir, name), text);
        }
        var tracer = new Tracer(new TraceStream(), null, false);
        var store = new ZoneStore(dir, _ => "lab", tracer);
        var server = new LabDnsServer("127.0.0.1", 0, store, tracer);
        server.Bind();
        store.Start();
        server.Start();
        if (store.Current.Zones.Count != zones.Files.Count) throw new InvalidDataException($"only {store.Current.Zones.Count} of {zones.Files.Count} zones loaded");
        return (store, server);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        List<Task<(ZoneStore Zones, LabDnsServer Server)>> all;
        lock (servers) all = [.. servers.Values];
        foreach (var started in all)
        {
            if (!started.IsCompletedSuccessfully) continue;
            var (zones, server) = started.Result;
            await server.DisposeAsync();
            await zones.DisposeAsync();
        }
    }
}
