using MailLab.Server.Store;
using MailLab.Tests.Imap;
using MailLab.Tests.Support;

namespace MailLab.Tests.Interop;

/// <summary>Debian's IMAP clients (curl, mbsync, python3 imaplib) against MailLab's IMAP server, trusting only the lab CA.</summary>
public sealed class ImapInteropTests : IAsyncLifetime
{
    private TestLab lab = null!;

    public Task InitializeAsync()
    {
        lab = ImapLab.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await lab.DisposeAsync();

    private string CaFile => lab.Runtime!.CertificateAuthority.CertificatePath;

    private System.Net.IPEndPoint Imap(string tls) => lab.Runtime!.EndPoint("uc", "IMAP", tls);

    [Theory]
    [InlineData("starttls")]
    [InlineData("implicit")]
    public async Task Curl_lists_folders_and_fetches_a_message_over_TLS(string tls)
    {
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("curl fetch", "Body for curl."));
        var ep = Imap(tls);
        var url = $"{(tls == "implicit" ? "imaps" : "imap")}://{ep.Address}:{ep.Port}/";
        string[] common = ["--silent", "--show-error", "--ssl-reqd", "--cacert", CaFile, "--user", "alice@uc.test:lab-alice", "--max-time", "30"];

        var (code, list, err) = await ExternalTool.Run("curl", [.. common, url]);
        Assert.True(code == 0, $"curl list exit {code}: {err}");
        Assert.Contains("\"/\" INBOX", list);
        Assert.Contains("Sent", list);

        (code, var message, err) = await ExternalTool.Run("curl", [.. common, url + "INBOX;UID=1"]);
        Assert.True(code == 0, $"curl fetch exit {code}: {err}");
        Assert.Contains("Subject: curl fetch", message);
        Assert.Contains("Body for curl.", message);
    }

    [Fact]
    public async Task Curl_refuses_a_server_it_cannot_verify()
    {
        var ep = Imap("starttls");
        var (code, _, err) = await ExternalTool.Run("curl",
            ["--silent", "--show-error", "--ssl-reqd", "--user", "alice@uc.test:lab-alice", "--max-time", "30", $"imap://{ep.Address}:{ep.Port}/"]);
        Assert.Equal(60, code);   // CURLE_PEER_FAILED_VERIFICATION: no lab CA given, the system store does not know it
        Assert.Contains("certificate", err);
    }

    [Fact]
    public async Task Mbsync_pulls_the_mailbox_to_a_Maildir_and_pushes_changes_back()
    {
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("sync one", messageId: "one"));
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("sync two", messageId: "two"));
        var dir = TempDir.New("mbsync");
        var local = Directory.CreateDirectory(Path.Combine(dir, "mail")).FullName;   // mbsync wants the store root to exist
        var ep = Imap("starttls");
        var config = Path.Combine(dir, "mbsyncrc");
        await File.WriteAllTextAsync(config, $"""
            IMAPAccount lab
            Host mx.uc.test
            Port {ep.Port}
            User alice@uc.test
            Pass lab-alice
            SSLType STARTTLS
            CertificateFile {CaFile}

            IMAPStore remote
            Account lab

            MaildirStore local
            Path {local}/
            Inbox {local}/INBOX

            Channel inbox
            Far :remote:INBOX
            Near :local:INBOX
            Create Both
            Sync All
            SyncState *
            """);
        // mbsync 1.4 checks the certificate against the host name only (not IP SANs): it runs in its own
        // mount namespace where /etc/hosts maps mx.uc.test to the site's loopback address.
        var hosts = Path.Combine(dir, "hosts");
        await File.WriteAllTextAsync(hosts, $"{ep.Address} mx.uc.test\n");
        async Task Sync()
        {
            var (code, output, err) = await ExternalTool.Run("unshare",
                ["--mount", "sh", "-c", "mount --bind \"$0\" /etc/hosts && exec mbsync -c \"$1\" inbox", hosts, config], timeoutSeconds: 90);
            Assert.True(code == 0, $"mbsync exit {code}\n{output}\n{err}");
        }

        await Sync();
        var pulled = Directory.GetFiles(Path.Combine(local, "INBOX", "cur")).Concat(Directory.GetFiles(Path.Combine(local, "INBOX", "new"))).ToList();
        Assert.Equal(2, pulled.Count);
        Assert.Contains(pulled, f => File.ReadAllText(f).Contains("Subject: sync two"));

        // Back: flag one message locally (Maildir info "F"), and add a new local message.
        var one = pulled.First(f => File.ReadAllText(f).Contains("Subject: sync one"));
        var flagged = Path.Combine(local, "INBOX", "cur", Path.GetFileName(one).Split(':')[0] + ":2,F");
        File.Move(one, flagged);
        await File.WriteAllTextAsync(Path.Combine(local, "INBOX", "new", "1700000000.local.laptop"),
            ImapTestMail.Simple("written offline", messageId: "offline").Replace("\r\n", "\n"));
        await Sync();

        var remote = await lab.Store.ListAsync("alice@uc.test", "INBOX", default);
        Assert.Equal(3, remote.Count);
        Assert.True(remote.Single(m => m.Uid == 1).Flags.HasFlag(MessageFlags.Flagged));
        await using var s = (await lab.Store.OpenReadAsync(remote.Single(m => m.Uid > 2), default))!;
        Assert.Contains("Subject: written offline", await new StreamReader(s).ReadToEndAsync());
    }

    [Fact]
    public async Task Python_imaplib_logs_in_searches_fetches_and_flags()
    {
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("first"));
        await ImapTestMail.PutAsync(lab.Store, ImapTestMail.Simple("for python", "Hello imaplib."));
        var ep = Imap("implicit");
        const string script = """
            import imaplib, ssl, sys
            host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
            m = imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(cafile=ca))
            print("login", m.login("alice@uc.test", "lab-alice")[0])
            print("select", m.select("INBOX")[1][0].decode())
            typ, data = m.uid("SEARCH", None, 'SUBJECT "for python"')
            uid = data[0].decode()
            print("search", uid)
            typ, data = m.uid("FETCH", uid, "(BODY.PEEK[])")
            print("body", data[0][1].decode().splitlines()[-1])
            print("store", m.uid("STORE", uid, "+FLAGS", "(\\Flagged)")[0])
            print("logout", m.logout()[0])
            """;
        var (code, output, err) = await ExternalTool.Run("python3", ["-c", script, ep.Address.ToString(), ep.Port.ToString(), CaFile]);
        Assert.True(code == 0, $"python3 exit {code}\n{output}\n{err}");
        Assert.Contains("login OK", output);
        Assert.Contains("select 2", output);
        Assert.Contains("search 2", output);
        Assert.Contains("body Hello imaplib.", output);
        Assert.Contains("store OK", output);
        Assert.Contains("logout BYE", output);
        var messages = await lab.Store.ListAsync("alice@uc.test", "INBOX", default);
        Assert.True(messages.Single(m => m.Uid == 2).Flags.HasFlag(MessageFlags.Flagged));
    }
}
