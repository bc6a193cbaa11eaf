using System.Text;
using MailLab.Server.Store;

namespace MailLab.Tests.Imap;

/// <summary>Messages for the IMAP tests, stored straight into the store (the MDA's own API).</summary>
public static class ImapTestMail
{
    public static string Simple(string subject, string body = "Hello.", string messageId = "") =>
        $"From: Bob Sender <bob@bank.test>\r\nTo: alice@uc.test\r\nSubject: {subject}\r\n" +
        $"Message-ID: <{(messageId.Length > 0 ? messageId : Guid.NewGuid().ToString("N"))}@test>\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\n\r\n{body}\r\n";

    public const string Multipart =
        "From: Bob <bob@bank.test>\r\nTo: Alice <alice@uc.test>\r\nSubject: report\r\nMessage-ID: <mp1@test>\r\n" +
        "Date: Sat, 28 Nov 2026 12:00:00 +0000\r\nMIME-Version: 1.0\r\n" +
        "Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n" +
        "preamble\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the attachment.\r\nSecond line.\r\n" +
        "--XX\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\nContent-Transfer-Encoding: base64\r\n" +
        "Content-Disposition: attachment; filename=\"data.bin\"\r\n\r\nAAECAwQ=\r\n--XX--\r\n";

    public static async Task<StoredMessage> PutAsync(MessageStore store, string text, string folder = "INBOX",
        string user = "alice@uc.test", MessageFlags flags = MessageFlags.None)
    {
        await using var p = await store.BeginAsync(user, folder, default);
        await p.Content.WriteAsync(Encoding.UTF8.GetBytes(text));
        return await p.CommitAsync(flags);
    }
}
