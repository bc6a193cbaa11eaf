using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MailLab.Tests.Interop;
using MailLab.Tests.Support;

namespace MailLab.Tests.Imap.Conformance;

/// <summary>
/// A private Dovecot (Debian dovecot-imapd) on a free loopback port, started by bench/imap/dovecot.sh
/// in a temp dir with one passwd-file user: the reference server the conformance runner is checked against.
/// </summary>
public sealed class DovecotInstance : IAsyncLifetime
{
    public const string User = "tester";
    public const string Password = "imaptest-secret";
    private readonly string dir = TempDir.New("dovecot");

    public int Port { get; private set; }

    public ImapTarget Target => new("127.0.0.1", Port, User, Password);

    public async Task InitializeAsync()
    {
        // The script binds the port itself: take a free one from the system and hand it over.
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var (code, output, err) = await ExternalTool.Run("bash", [Script, "start", dir, Port.ToString(), $"{User}:{Password}"]);
        Assert.True(code == 0, $"dovecot.sh start: {code}\n{output}\n{err}");
    }

    private static string Script => Path.Combine(AppContext.BaseDirectory, "Imap", "dovecot.sh");

    public async Task DisposeAsync()
    {
        await ExternalTool.Run("bash", [Script, "stop", dir]);
    }
}
