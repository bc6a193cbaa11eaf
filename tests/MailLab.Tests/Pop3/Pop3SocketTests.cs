using System.Text.Json;
using MailKit.Net.Pop3;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailLab.Server.Listeners;
using MailLab.Server.Trace;
using MailLab.Tests.Support;
using MimeKit;

namespace MailLab.Tests.Pop3;

/// <summary>The running lab's POP3 listeners over real sockets, with MailKit's Pop3Client as the client.</summary>
public sealed class Pop3SocketTests : IAsyncLifetime
{
    private const string Alice = "alice@uc.test";
    private TestLab lab = null!;

    public Task InitializeAsync()
    {
        lab = Pop3Lab.Create().Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await lab.DisposeAsync();

    private static Pop3Client Client() =>
        new() { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false, Timeout = 20_000 };

    /// <summary>Submits a message through the MSA (MailKit SMTP, STARTTLS, AUTH), as a user would.</summary>
    private async Task SubmitAsync(string subject, string body)
    {
        var msa = lab.Runtime!.EndPoint("uc", "MSA", "starttls");
        using var smtp = new SmtpClient { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false };
        await smtp.ConnectAsync(msa.Address.ToString(), msa.Port, SecureSocketOptions.StartTls);
        await smtp.AuthenticateAsync(Alice, "lab-alice");
        var m = new MimeMessage();
        m.From.Add(MailboxAddress.Parse(Alice));
        m.To.Add(MailboxAddress.Parse(Alice));
        m.Subject = subject;
        m.Body = new TextPart("plain") { Text = body };
        await smtp.SendAsync(m);
        await smtp.DisconnectAsync(true);
    }

    private async Task<byte[]> StoredBytes(int index)
    {
        var list = await lab.Store.ListAsync(Alice, "INBOX", default);
        await using var s = (await lab.Store.OpenReadAsync(list[index], default))!;
        using var ms = new MemoryStream();
        await s.CopyToAsync(ms);
        return ms.ToArray();
    }

    private async Task<Pop3Client> ConnectAsync(string tls)
    {
        var ep = lab.Runtime!.EndPoint("uc", "POP3", tls);
        var client = Client();
        await client.ConnectAsync(ep.Address.ToString(), ep.Port, tls == "implicit" ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls);
        Assert.True(client.IsSecure);
        return client;
    }

    [Fact]
    public async Task STLS_and_AUTH_PLAIN_retrieve_SMTP_mail_byte_for_byte_then_delete_at_QUIT()
    {
        await SubmitAsync("first", "Line one.\n.A line starting with a dot.\n..two dots.\n");
        await SubmitAsync("second", "Hello again.");
        using var pop = await ConnectAsync("starttls");
        Assert.True(pop.Capabilities.HasFlag(Pop3Capabilities.UIDL));
        Assert.True(pop.Capabilities.HasFlag(Pop3Capabilities.Pipelining));
        Assert.Contains("PLAIN", pop.AuthenticationMechanisms);
        pop.Capabilities &= ~Pop3Capabilities.Apop; // MailKit prefers APOP when the greeting offers it
        await pop.AuthenticateAsync(Alice, "lab-alice");
        Assert.Equal(2, await pop.GetMessageCountAsync());
        var stored = await lab.Store.ListAsync(Alice, "INBOX", default);
        Assert.Equal(stored.Select(m => m.UniqueId), await pop.GetMessageUidsAsync());
        Assert.Equal(stored.Select(m => (int)m.Size), await pop.GetMessageSizesAsync());
        for (int i = 0; i < 2; i++)
        {
            await using var s = await pop.GetStreamAsync(i);
            using var ms = new MemoryStream();
            await s.CopyToAsync(ms);
            Assert.Equal(await StoredBytes(i), ms.ToArray());
        }
        var first = await pop.GetMessageAsync(0);
        Assert.Equal("first", first.Subject);
        Assert.Contains(".A line starting with a dot.", first.TextBody);
        var headers = await pop.GetMessageHeadersAsync(1);
        Assert.Equal("second", headers[HeaderId.Subject]);
        await pop.DeleteMessageAsync(0);
        await pop.DisconnectAsync(true);

        var left = Assert.Single(await lab.Store.ListAsync(Alice, "INBOX", default));
        Assert.Equal(stored[1].UniqueId, left.UniqueId);
        Assert.Contains(lab.Events(TraceKind.AuthSucceeded), e => e.Role == TraceRole.POP3 && e.Field("Mechanism") == "PLAIN");
    }

    [Fact]
    public async Task Implicit_TLS_and_USER_PASS()
    {
        await SubmitAsync("implicit", "Over the pop3s port.");
        using var pop = await ConnectAsync("implicit");
        Assert.False(pop.Capabilities.HasFlag(Pop3Capabilities.StartTLS));
        pop.Capabilities &= ~(Pop3Capabilities.Apop | Pop3Capabilities.Sasl);
        await pop.AuthenticateAsync(Alice, "lab-alice");
        Assert.Equal("implicit", (await pop.GetMessageAsync(0)).Subject);
        await pop.DisconnectAsync(true);
        Assert.Contains(lab.Events(TraceKind.AuthSucceeded), e => e.Role == TraceRole.POP3 && e.Field("Mechanism") == "USER");
        Assert.Single(await lab.Store.ListAsync(Alice, "INBOX", default)); // nothing deleted
    }

    [Fact]
    public async Task APOP_is_what_MailKit_picks_from_the_greeting()
    {
        using var pop = await ConnectAsync("starttls");
        Assert.True(pop.Capabilities.HasFlag(Pop3Capabilities.Apop));
        await pop.AuthenticateAsync(Alice, "lab-alice");
        Assert.Equal(0, pop.Count);
        await pop.DisconnectAsync(true);
        Assert.Contains(lab.Events(TraceKind.AuthSucceeded), e => e.Role == TraceRole.POP3 && e.Field("Mechanism") == "APOP");
        Assert.DoesNotContain(lab.Events(TraceKind.AuthFailed), e => e.Role == TraceRole.POP3);
    }

    [Fact]
    public async Task A_second_client_for_the_same_user_is_refused_IN_USE_until_the_first_quits()
    {
        using var first = await ConnectAsync("starttls");
        await first.AuthenticateAsync(Alice, "lab-alice");
        using var second = await ConnectAsync("implicit");
        second.Capabilities &= ~(Pop3Capabilities.Apop | Pop3Capabilities.Sasl);
        await Assert.ThrowsAsync<AuthenticationException>(() => second.AuthenticateAsync(Alice, "lab-alice"));
        Assert.Contains(lab.Events(TraceKind.ReplySent), e => e.Role == TraceRole.POP3 && e.Field("RespCode") == "IN-USE");
        await first.DisconnectAsync(true);
        using var third = await ConnectAsync("implicit");
        await third.AuthenticateAsync(Alice, "lab-alice");
        await third.DisconnectAsync(true);
    }

    [Fact]
    public void The_POP3_listeners_are_in_listeners_json()
    {
        var listeners = JsonSerializer.Deserialize<List<ListenerInfo>>(File.ReadAllText(lab.Runtime!.ListenersFile))!;
        foreach (var site in new[] { "uc", "bank", "evil" })
        {
            Assert.Contains(listeners, l => l.Site == site && l.Role == "POP3" && l.Tls == "starttls" && l.Port > 0);
            Assert.Contains(listeners, l => l.Site == site && l.Role == "POP3" && l.Tls == "implicit" && l.Port > 0);
        }
    }
}
