using System.Net;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using MailKit.Security;

namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// Exercise 6: the same mailbox through POP3 (download, delete) and IMAP (select, flag, copy to a
/// folder, move), as Thunderbird would, over implicit TLS checked against the lab CA.
/// </summary>
internal sealed class MailboxAccessDemo : IExerciseDemo
{
    public int Number => 6;

    public async Task RunAsync(DemoContext ctx, CancellationToken ct)
    {
        var user = ctx.User("uc");
        ctx.Step($"Three messages into {user.Address}'s INBOX, through the MSA");
        for (int i = 1; i <= 3; i++)
        {
            var m = Submission.Message(user.Address, user.Address, $"message {i}", $"Message {i} of 3.");
            await Submission.SendAsync(ctx, "uc", m, ct);
            await ctx.WaitForMessageAsync(user.Address, m.MessageId!, TimeSpan.FromSeconds(30), ct);
        }

        var pop3 = ctx.EndPoint("uc", "POP3", "implicit");
        ctx.Step($"POP3 on {pop3} (implicit TLS): log in, download message 1, delete it, QUIT");
        using (var client = new Pop3Client(new DemoProtocolLogger(ctx.Out)) { ServerCertificateValidationCallback = ctx.ValidateServer })
        {
            if (ctx.Student is not null) client.LocalEndPoint = new IPEndPoint(ctx.Student, 0);
            await client.ConnectAsync(pop3.Address.ToString(), pop3.Port, SecureSocketOptions.SslOnConnect, ct);
            await client.AuthenticateAsync(user.Address, user.Password, ct);
            ctx.Out.WriteLine($"   {client.Count} messages on the server");
            var first = await client.GetMessageAsync(0, ct);
            ctx.Out.WriteLine($"   downloaded: {first.Subject}");
            await client.DeleteMessageAsync(0, ct);
            await client.DisconnectAsync(true, ct); // QUIT: the UPDATE state removes it (RFC 1939 §6)
        }

        var imap = ctx.EndPoint("uc", "IMAP", "implicit");
        ctx.Step($"IMAP on {imap} (implicit TLS): select INBOX, flag a message, copy it to a folder, move another");
        using (var client = new ImapClient(new DemoProtocolLogger(ctx.Out)) { ServerCertificateValidationCallback = ctx.ValidateServer })
        {
            if (ctx.Student is not null) client.LocalEndPoint = new IPEndPoint(ctx.Student, 0);
            await client.ConnectAsync(imap.Address.ToString(), imap.Port, SecureSocketOptions.SslOnConnect, ct);
            await client.AuthenticateAsync(user.Address, user.Password, ct);
            var inbox = client.Inbox;
            await inbox.OpenAsync(FolderAccess.ReadWrite, ct);
            ctx.Out.WriteLine($"   INBOX: {inbox.Count} messages (the one POP3 deleted is gone)");
            if (inbox.Count == 0) throw new DemoException("INBOX is empty");
            await inbox.AddFlagsAsync(0, MessageFlags.Seen | MessageFlags.Flagged, silent: true, ct);
            var trash = await client.GetFolderAsync("Trash", ct);
            await inbox.MoveToAsync(inbox.Count - 1, trash, ct);
            await client.DisconnectAsync(true, ct);
        }
        ctx.Out.WriteLine("   The flag and the move stay on the server: another IMAP client sees them; POP3's download does not.");
    }
}
