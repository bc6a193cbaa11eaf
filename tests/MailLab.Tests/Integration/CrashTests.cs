using System.Net;
using System.Net.Sockets;
using System.Text;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailLab.Server.Store;
using MailLab.Tests.Support;
using MimeKit;

namespace MailLab.Tests.Integration;

/// <summary>
/// kill -9 of the real process in the middle of a DATA transfer: every acknowledged message is
/// in the mailbox whole, the unacknowledged one nowhere, and the lab starts again on the same data.
/// </summary>
public sealed class CrashTests
{
    [Fact]
    public async Task Kill_9_mid_DATA_loses_no_acknowledged_message_and_leaves_no_partial_one()
    {
        var dir = TempDir.New("crash");
        var labFile = Path.Combine(dir, "lab.yml");
        await File.WriteAllTextAsync(labFile, TestLab.LabYaml());
        var data = Path.Combine(dir, "data");
        var (lab, listeners) = await MailLabProcess.Up(labFile, data);
        var mta = listeners.First(l => l.Site == "bank" && l.Role == "MTA");
        try
        {
            using (var client = new SmtpClient { Timeout = 20_000 })
            {
                await client.ConnectAsync(mta.Address, mta.Port, SecureSocketOptions.None);
                for (int i = 0; i < 10; i++)
                {
                    var m = new MimeMessage();
                    m.From.Add(MailboxAddress.Parse("mallory@evil.test"));
                    m.To.Add(MailboxAddress.Parse("bob@bank.test"));
                    m.Subject = $"acknowledged {i}";
                    m.Body = new TextPart("plain") { Text = $"complete body {i}\nEND-OF-MESSAGE" };
                    await client.SendAsync(m); // returns only after 250
                }
            }

            // A second client is half-way through a large message when the process dies.
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Parse(mta.Address), mta.Port);
            var stream = tcp.GetStream();
            var lines = new ClientLines(stream);
            await lines.ReadReplyAsync(default);
            await stream.WriteAsync(Encoding.ASCII.GetBytes("EHLO crash.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<bob@bank.test>\r\nDATA\r\n"));
            for (int i = 0; i < 4; i++) await lines.ReadReplyAsync(default);
            var chunk = Encoding.ASCII.GetBytes("Subject: never acknowledged\r\n\r\n" + string.Concat(Enumerable.Repeat("PARTIAL-CONTENT-LINE\r\n", 20_000)));
            await stream.WriteAsync(chunk);
            await Task.Delay(300);
        }
        finally
        {
            lab.Kill(); // SIGKILL: no shutdown code runs
            await lab.WaitForExitAsync();
        }

        var store = new MessageStore(Path.Combine(data, "mail"));
        var inbox = await store.ListAsync("bob@bank.test", "INBOX", default);
        Assert.Equal(10, inbox.Count);
        foreach (var m in inbox)
        {
            await using var s = (await store.OpenReadAsync(m, default))!;
            var text = await new StreamReader(s).ReadToEndAsync();
            Assert.Contains("END-OF-MESSAGE", text);
            Assert.DoesNotContain("PARTIAL-CONTENT-LINE", text);
        }
        var maxUid = inbox.Max(m => m.Uid);

        // The lab comes back on the same data and goes on numbering after the old messages.
        var (again, listeners2) = await MailLabProcess.Up(labFile, data);
        try
        {
            var mta2 = listeners2.First(l => l.Site == "bank" && l.Role == "MTA");
            using var client = new SmtpClient { Timeout = 20_000 };
            await client.ConnectAsync(mta2.Address, mta2.Port, SecureSocketOptions.None);
            var m = new MimeMessage();
            m.From.Add(MailboxAddress.Parse("mallory@evil.test"));
            m.To.Add(MailboxAddress.Parse("bob@bank.test"));
            m.Subject = "after restart";
            m.Body = new TextPart("plain") { Text = "hi" };
            await client.SendAsync(m);
            await client.DisconnectAsync(true);
        }
        finally
        {
            again.Kill();
            await again.WaitForExitAsync();
        }
        var after = await new MessageStore(Path.Combine(data, "mail")).ListAsync("bob@bank.test", "INBOX", default);
        Assert.Equal(11, after.Count);
        Assert.True(after[^1].Uid > maxUid);
    }
}
