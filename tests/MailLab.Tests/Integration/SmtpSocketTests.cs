using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailLab.Server.Listeners;
using MailLab.Server.Trace;
using MailLab.Tests.Support;
using MimeKit;

namespace MailLab.Tests.Integration;

/// <summary>The running lab over real loopback sockets, with MailKit and raw sockets as clients.</summary>
public sealed class SmtpSocketTests : IAsyncLifetime
{
    private TestLab lab = null!;

    public Task InitializeAsync()
    {
        lab = TestLab.Create(perClient: 3).Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await lab.DisposeAsync();

    private static MimeMessage Note(string from, string to, string subject)
    {
        var m = new MimeMessage();
        m.From.Add(MailboxAddress.Parse(from));
        m.To.Add(MailboxAddress.Parse(to));
        m.Subject = subject;
        m.Body = new TextPart("plain") { Text = "Sent by MailKit over a real socket." };
        return m;
    }

    private static SmtpClient Client()
    {
        var c = new SmtpClient { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false, Timeout = 20_000 };
        return c;
    }

    private async Task<string> OnlyMessage(string user)
    {
        var list = await lab.Store.ListAsync(user, "INBOX", default);
        await using var s = (await lab.Store.OpenReadAsync(Assert.Single(list), default))!;
        return await new StreamReader(s).ReadToEndAsync();
    }

    [Theory]
    [InlineData("PLAIN")]
    [InlineData("LOGIN")]
    public async Task MailKit_submits_with_STARTTLS_and_AUTH(string mechanism)
    {
        var msa = lab.Runtime!.EndPoint("uc", "MSA", "starttls");
        using var client = Client();
        await client.ConnectAsync(msa.Address.ToString(), msa.Port, SecureSocketOptions.StartTls);
        Assert.True(client.IsSecure);
        Assert.Contains(mechanism, client.AuthenticationMechanisms);
        client.AuthenticationMechanisms.RemoveWhere(m => m != mechanism);
        await client.AuthenticateAsync("alice@uc.test", "lab-alice");
        await client.SendAsync(Note("alice@uc.test", "alice@uc.test", "via " + mechanism));
        await client.DisconnectAsync(true);

        var text = await OnlyMessage("alice@uc.test");
        Assert.Contains("Subject: via " + mechanism, text);
        Assert.Contains("(MailLab MSA) with ESMTPSA id", text);
        Assert.Contains(lab.Events(TraceKind.AuthSucceeded), e => e.Field("Mechanism") == mechanism);
    }

    [Fact]
    public async Task MailKit_submits_over_implicit_TLS_on_the_465_listener()
    {
        var msa = lab.Runtime!.EndPoint("uc", "MSA", "implicit");
        using var client = Client();
        await client.ConnectAsync(msa.Address.ToString(), msa.Port, SecureSocketOptions.SslOnConnect);
        await client.AuthenticateAsync("alice@uc.test", "lab-alice");
        await client.SendAsync(Note("alice@uc.test", "alice@uc.test", "implicit"));
        await client.DisconnectAsync(true);
        Assert.Contains("Subject: implicit", await OnlyMessage("alice@uc.test"));
    }

    [Fact]
    public async Task MailKit_refuses_a_server_it_cannot_trust_and_the_lab_CA_is_the_only_anchor()
    {
        var msa = lab.Runtime!.EndPoint("uc", "MSA", "starttls");
        using var client = new SmtpClient { CheckCertificateRevocation = false, Timeout = 20_000 };
        // The system trust store does not know the lab CA: the handshake must fail.
        await Assert.ThrowsAsync<SslHandshakeException>(() =>
            client.ConnectAsync(msa.Address.ToString(), msa.Port, SecureSocketOptions.StartTls));
    }

    [Fact]
    public async Task A_large_message_is_spooled_to_disk_and_stored_byte_for_byte()
    {
        var mta = lab.Runtime!.EndPoint("bank", "MTA");
        var payload = new byte[1_500_000];
        new Random(42).NextBytes(payload);
        var m = Note("mallory@evil.test", "bob@bank.test", "big attachment");
        var body = new BodyBuilder { TextBody = "see attachment" };
        body.Attachments.Add("blob.bin", payload);
        m.Body = body.ToMessageBody();
        var sent = new MemoryStream();
        await m.WriteToAsync(FormatOptions.Default, sent);

        using var client = Client();
        await client.ConnectAsync(mta.Address.ToString(), mta.Port, SecureSocketOptions.None);
        await client.SendAsync(m);
        await client.DisconnectAsync(true);

        var list = await lab.Store.ListAsync("bob@bank.test", "INBOX", default);
        await using var s = (await lab.Store.OpenReadAsync(Assert.Single(list), default))!;
        var stored = MimeMessage.Load(s);
        var attachment = (MimePart)stored.Attachments.Single();
        var decoded = new MemoryStream();
        await attachment.Content!.DecodeToAsync(decoded);
        Assert.Equal(payload, decoded.ToArray());
        Assert.True(list[0].Size > sent.Length); // the original plus the headers this hop added
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(lab.DataDirectory, "spool"))); // spill file removed
    }

    [Fact]
    public async Task Wrong_password_is_refused()
    {
        var msa = lab.Runtime!.EndPoint("bank", "MSA", "starttls");
        using var client = Client();
        await client.ConnectAsync(msa.Address.ToString(), msa.Port, SecureSocketOptions.StartTls);
        var ex = await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync("bob@bank.test", "lab-alice"));
        Assert.Contains("invalid", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Telnet_style_forgery_to_the_MTA_is_accepted_and_traced_side_by_side()
    {
        var mta = lab.Runtime!.EndPoint("bank", "MTA");
        using var tcp = new TcpClient();
        // Connect from the evil.test site's address, as a student on that host would.
        tcp.Client.Bind(new IPEndPoint(IPAddress.Parse("127.0.3.1"), 0));
        await tcp.ConnectAsync(mta);
        var stream = tcp.GetStream();
        var lines = new ClientLines(stream);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        async Task<string> Say(string line)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), cts.Token);
            return (await lines.ReadReplyAsync(cts.Token))!;
        }
        Assert.StartsWith("220 mx.bank.test ESMTP", await lines.ReadReplyAsync(cts.Token));
        Assert.StartsWith("250", await Say("HELO mx.evil.test"));
        Assert.StartsWith("250", await Say("MAIL FROM:<ceo@bank.test>"));
        Assert.StartsWith("250", await Say("RCPT TO:<bob@bank.test>"));
        Assert.StartsWith("354", await Say("DATA"));
        Assert.StartsWith("250", await Say("From: The CEO <ceo@bank.test>\r\nTo: bob@bank.test\r\nSubject: urgent\r\n\r\nPay now.\r\n."));
        Assert.StartsWith("221", await Say("QUIT"));

        var received = await lab.WaitForEvent(e => e.Kind == TraceKind.MessageReceived);
        Assert.Equal("127.0.3.1", received.Field("Client"));
        Assert.Equal("ceo@bank.test", received.Field("MailFrom"));
        Assert.Equal("The CEO <ceo@bank.test>", received.Field("HeaderFrom"));
        Assert.Equal("bank", received.Site);
        var text = await OnlyMessage("bob@bank.test");
        Assert.Contains("Received: from mx.evil.test ([127.0.3.1])", text);
    }

    [Fact]
    public async Task Open_relay_attempt_over_a_socket_is_refused()
    {
        var mta = lab.Runtime!.EndPoint("bank", "MTA");
        using var client = new SmtpClient { Timeout = 20_000 };
        await client.ConnectAsync(mta.Address.ToString(), mta.Port, SecureSocketOptions.None);
        var ex = await Assert.ThrowsAsync<SmtpCommandException>(() =>
            client.SendAsync(Note("mallory@evil.test", "victim@elsewhere.test", "spam")));
        Assert.Equal(SmtpErrorCode.RecipientNotAccepted, ex.ErrorCode);
        Assert.Equal((SmtpStatusCode)554, ex.StatusCode);
    }

    [Fact]
    public async Task Connections_over_the_per_client_limit_get_421()
    {
        var mta = lab.Runtime!.EndPoint("bank", "MTA");
        var open = new List<TcpClient>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var c = new TcpClient();
                await c.ConnectAsync(mta);
                Assert.StartsWith("220", await new ClientLines(c.GetStream()).ReadReplyAsync(default));
                open.Add(c);
            }
            using var extra = new TcpClient();
            await extra.ConnectAsync(mta);
            var reply = await new ClientLines(extra.GetStream()).ReadReplyAsync(new CancellationTokenSource(10_000).Token);
            Assert.StartsWith("421 4.7.0", reply);
            Assert.Contains(lab.Events(TraceKind.SessionRefused), e => e.Field("Client") == "127.0.0.1");
        }
        finally
        {
            open.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task Listeners_file_names_every_listener_with_its_real_port()
    {
        var json = await File.ReadAllTextAsync(lab.Runtime!.ListenersFile);
        var listed = JsonSerializer.Deserialize<List<ListenerInfo>>(json)!;
        Assert.Equal(12, listed.Count); // 3 sites x 3 SMTP listeners, the lab DNS, the lab web service (issue 15) and the dashboard (issue 17)
        Assert.Contains(listed, l => l is { Site: "lab", Role: "DNS", Tls: "none" });
        Assert.Contains(listed, l => l is { Site: "lab", Role: "WEB", Tls: "none" });
        Assert.Contains(listed, l => l is { Site: "lab", Role: "DASHBOARD", Tls: "none" });
        Assert.All(listed, l => Assert.NotEqual(0, l.Port));
        Assert.Contains(listed, l => l is { Site: "bank", Role: "MTA", Address: "127.0.2.1", Tls: "starttls" }); // it offers STARTTLS (RFC 3207), opportunistic
        Assert.Contains(listed, l => l is { Site: "uc", Role: "MSA", Tls: "implicit" });
        using var probe = new TcpClient();
        var mta = listed.First(l => l.Role == "MTA");
        await probe.ConnectAsync(IPAddress.Parse(mta.Address), mta.Port);
    }

    [Fact]
    public void A_second_lab_on_the_same_port_is_refused()
    {
        var port = lab.Runtime!.EndPoint("bank", "MTA").Port;
        var def = MailLab.Server.Lab.LabDefinitionLoader.Parse(TestLab.LabYamlWithBankMtaPort(port), "second.yml");
        var ex = Assert.Throws<ListenerBindException>(() =>
            MailLab.Server.LabRuntime.Start(def, TempDir.New("second"), new Tracer(new TraceStream(), null, false)));
        Assert.Contains("address already in use", ex.Message);
    }

    [Fact]
    public void A_port_already_taken_is_a_clear_bind_error()
    {
        using var squatter = new TcpListener(IPAddress.Parse("127.0.2.1"), 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var yaml = TestLab.LabYamlWithBankMtaPort(port);
        var def = MailLab.Server.Lab.LabDefinitionLoader.Parse(yaml, "clash.yml");
        Assert.Equal(port, def.Sites.First(s => s.Name == "bank").Ports.Mta);
        var tracer = new Tracer(new TraceStream(), null, false);
        var ex = Assert.Throws<ListenerBindException>(() => MailLab.Server.LabRuntime.Start(def, TempDir.New("clash"), tracer));
        Assert.Equal("MTA", ex.Role);
        Assert.Contains("address already in use", ex.Message);
        Assert.Contains($"127.0.2.1:{port}", ex.Message);
        var failed = Assert.Single(tracer.Stream.Query(new TraceQuery(Kind: TraceKind.ListenerFailed)));
        Assert.Equal("bank", failed.Site);
        Assert.Equal(TraceRole.MTA, failed.Role);
    }
}
