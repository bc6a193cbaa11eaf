using System.Text;
using MailLab.Server.Trace;
using MailLab.Tests.Pop3;
using MailLab.Tests.Support;

namespace MailLab.Tests.Interop;

/// <summary>Real POP3 clients from Debian (curl, fetchmail, openssl s_client) against the running lab.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // Debian tools
public sealed class Pop3InteropTests : IAsyncLifetime
{
    private const string Alice = "alice@uc.test";
    private TestLab lab = null!;

    public Task InitializeAsync()
    {
        lab = Pop3Lab.Create().Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await lab.DisposeAsync();

    private string CaFile => lab.Runtime!.CertificateAuthority.CertificatePath;

    private async Task<byte[]> StoredBytes(int index)
    {
        var list = await lab.Store.ListAsync(Alice, "INBOX", default);
        await using var s = (await lab.Store.OpenReadAsync(list[index], default))!;
        using var ms = new MemoryStream();
        await s.CopyToAsync(ms);
        return ms.ToArray();
    }

    private async Task DeliverTwo()
    {
        await Pop3Transcript.Deliver(lab.Store, Alice, "From: bob@bank.test\r\nSubject: via curl\r\n\r\nfirst\r\n.dotted line\r\n");
        await Pop3Transcript.Deliver(lab.Store, Alice, "From: bob@bank.test\r\nSubject: second\r\n\r\nsecond body\r\n");
    }

    [Theory]
    [InlineData("pop3", "starttls")]
    [InlineData("pop3s", "implicit")]
    public async Task Curl_lists_and_retrieves_over_TLS(string scheme, string tls)
    {
        await DeliverTwo();
        var ep = lab.Runtime!.EndPoint("uc", "POP3", tls);
        string[] Args(string path) =>
        [
            "--silent", "--show-error", "--ssl-reqd", "--cacert", CaFile,
            "--resolve", $"mx.uc.test:{ep.Port}:{ep.Address}", "--user", $"{Alice}:lab-alice",
            $"{scheme}://mx.uc.test:{ep.Port}/{path}",
        ];
        var (code, list, err) = await ExternalTool.Run("curl", Args(""));
        Assert.True(code == 0, $"curl exit {code}: {err}");
        var stored = await lab.Store.ListAsync(Alice, "INBOX", default);
        Assert.Equal(stored.Select((m, i) => $"{i + 1} {m.Size}"), list.Split("\r\n", StringSplitOptions.RemoveEmptyEntries));

        var file = Path.Combine(lab.DataDirectory, $"curl-{scheme}.eml");
        (code, _, err) = await ExternalTool.Run("curl", [.. Args("1"), "--output", file]);
        Assert.True(code == 0, $"curl exit {code}: {err}");
        Assert.Equal(await StoredBytes(0), await File.ReadAllBytesAsync(file)); // dot-stuffing undone by curl
        Assert.Contains(lab.Events(TraceKind.MailboxAccess), e => e.Field("Action") == "retrieve" && e.Role == TraceRole.POP3);
        Assert.Equal(2, (await lab.Store.ListAsync(Alice, "INBOX", default)).Count); // curl does not delete
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Fetchmail_downloads_into_an_MDA_and_deletes_from_the_server(bool implicitTls)
    {
        await DeliverTwo();
        var originals = new[] { await StoredBytes(0), await StoredBytes(1) };
        var ep = lab.Runtime!.EndPoint("uc", "POP3", implicitTls ? "implicit" : "starttls");
        var dir = Directory.CreateDirectory(Path.Combine(lab.DataDirectory, "fetchmail-" + implicitTls)).FullName;
        var mbox = Path.Combine(dir, "mbox");
        var rc = Path.Combine(dir, "fetchmailrc");
        await File.WriteAllTextAsync(rc, $"""
            set no syslog
            poll {ep.Address} port {ep.Port} protocol POP3 uidl
              user "{Alice}" there with password "lab-alice" is "student" here
              {(implicitTls ? "ssl" : "sslproto TLS1.2+")} sslcertck sslcertfile "{CaFile}" sslcommonname mx.uc.test
              mda "/bin/sh -c 'cat >> {mbox}; echo ==END== >> {mbox}'"

            """);
        File.SetUnixFileMode(rc, UnixFileMode.UserRead | UnixFileMode.UserWrite); // fetchmail refuses a readable rc file
        var (code, output, err) = await ExternalTool.Run("fetchmail",
            ["--fetchmailrc", rc, "--idfile", Path.Combine(dir, "ids"), "--pidfile", Path.Combine(dir, "pid"), "--nodetach", "--verbose"]);
        Assert.True(code == 0, $"fetchmail exit {code}\n{output}\n{err}");
        var delivered = (await File.ReadAllTextAsync(mbox)).Split("==END==\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, delivered.Length);
        for (int i = 0; i < 2; i++)
        {
            // fetchmail adds its own Received line on top and hands the MDA LF line endings.
            var original = Encoding.UTF8.GetString(originals[i]).Replace("\r\n", "\n");
            Assert.EndsWith(original, delivered[i]);
        }
        Assert.Empty(await lab.Store.ListAsync(Alice, "INBOX", default)); // POP3's "download and delete"
        Assert.Equal(2, lab.Events(TraceKind.MailboxAccess).Count(e => e.Field("Action") == "delete"));
    }

    [Fact]
    public async Task Openssl_s_client_starttls_pop3_logs_in_by_hand()
    {
        await DeliverTwo();
        var ep = lab.Runtime!.EndPoint("uc", "POP3", "starttls");
        var (code, output, err) = await ExternalTool.Run("openssl",
            ["s_client", "-starttls", "pop3", "-connect", $"{ep.Address}:{ep.Port}", "-servername", "mx.uc.test",
             "-CAfile", CaFile, "-verify_return_error", "-crlf", "-quiet", "-ign_eof"],
            stdin: "CAPA\nUSER alice@uc.test\nPASS lab-alice\nSTAT\nTOP 1 0\nQUIT\n");
        Assert.True(code == 0, $"openssl exit {code}\n{output}\n{err}");
        var stored = await lab.Store.ListAsync(Alice, "INBOX", default);
        Assert.Contains("+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nUSER\r\nSASL PLAIN\r\nIMPLEMENTATION MailLab\r\n.\r\n", output);
        Assert.Contains("+OK alice@uc.test has 2 messages", output);
        Assert.Contains($"+OK 2 {stored.Sum(m => m.Size)}\r\n", output);
        Assert.Contains("Subject: via curl\r\n\r\n.\r\n", output);
        Assert.Contains("+OK mx.uc.test POP3 server signing off", output);
        Assert.Contains(lab.Events(TraceKind.TlsEstablished), e => e.Role == TraceRole.POP3);
    }
}
