using System.Net;
using System.Net.Sockets;
using System.Text;
using MailLab.MailAuth.Dkim;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Dkim;

internal static class DkimLabHelpers
{
    public const string Message =
        "From: Alice <alice@uc.test>\r\nTo: bob@bank.test\r\nSubject: transfer\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n" +
        "Message-ID: <t1@uc.test>\r\n\r\nPlease transfer 100 EUR to account 12345.\r\n";

    /// <summary>Signs <paramref name="message"/> with the running lab's uc.test keys (both), as uc's MSA would.</summary>
    public static string SignAsUc(TestLab lab, string message, DateTimeOffset? now = null, TimeSpan? validity = null)
    {
        var keys = lab.Runtime!.DkimKeys("uc").For("uc.test");
        var bytes = Encoding.UTF8.GetBytes(message);
        return string.Concat(keys.Select(k => DkimSigner.Sign(bytes, k.Key, k.Domain, k.Selector, now ?? DateTimeOffset.UtcNow, validity))) + message;
    }

    /// <summary>Sends a raw message to bank.test's MTA from uc's address (dot-stuffed) and returns the DkimResult events it caused.</summary>
    public static async Task<List<TraceEvent>> SendToBank(TestLab lab, string message)
    {
        long before = lab.Tracer.Stream.Count;
        var mta = lab.Runtime!.EndPoint("bank", "MTA");
        using var tcp = new TcpClient();
        tcp.Client.Bind(new IPEndPoint(IPAddress.Parse("127.0.1.1"), 0));
        await tcp.ConnectAsync(mta);
        var stream = tcp.GetStream();
        var lines = new ClientLines(stream);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.StartsWith("220", await lines.ReadReplyAsync(cts.Token));
        string stuffed = message.Replace("\r\n.", "\r\n..");
        foreach (var c in new[] { "EHLO mx.uc.test", "MAIL FROM:<alice@uc.test>", "RCPT TO:<bob@bank.test>", "DATA", stuffed + ".", "QUIT" })
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(c + "\r\n"), cts.Token);
            var reply = (await lines.ReadReplyAsync(cts.Token))!;
            Assert.True(reply[0] is '2' or '3', $"{c.Split("\r\n")[0]} -> {reply}");
        }
        await lab.WaitForEvent(e => e.Sequence > before && e.Kind == TraceKind.LocalDelivery);
        return lab.Tracer.Stream.Query().Where(e => e.Sequence > before && e.Kind == TraceKind.DkimResult).ToList();
    }
}
