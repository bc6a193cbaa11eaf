using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using MailLab.Server.Trace;
using MailLab.Tests.Relay;
using MailLab.Tests.Support;

namespace MailLab.Tests.Dkim;

/// <summary>
/// The relay must deliver the signed octets unchanged: a message whose form a MIME library would
/// tidy (odd folding, whitespace, a multipart without its end boundary, 8-bit text, no final CRLF
/// in a part) is signed at uc's MSA and must still verify at bank.test.
/// </summary>
public sealed class DkimRelayBytesTests
{
    private const string Awkward =
        "From:   Alice   <alice@uc.test>\r\n" +
        "To: bob@bank.test\r\n" +
        "Subject: =?utf-8?q?caf=C3=A9?=   and\r\n" +
        "   oddly\t folded  \r\n" +
        "Date: Sat, 28 Nov 2026 10:00:00 +0000\r\n" +
        "Message-ID: <awkward@uc.test>\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: multipart/mixed; boundary=\"XX\"\r\n" +
        "\r\n" +
        "preamble   \r\n" +
        "--XX\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        "Content-Transfer-Encoding: 8bit\r\n" +
        "\r\n" +
        "Grüße   \t\r\n" +
        "\r\n" +
        "--XX\r\n" +
        "Content-Type: text/plain\r\n" +
        "\r\n" +
        "no end boundary follows\r\n" +
        "\r\n\r\n";

    [Fact]
    public async Task An_awkward_message_signed_at_the_MSA_still_verifies_after_the_relay()
    {
        await using var lab = TestLab.Create(plaintextAuth: true).Start();
        await SubmitRaw(lab, Awkward);
        await RelayTestHelpers.Outcome(lab, "bob@bank.test", "delivered");
        var results = lab.Events(TraceKind.DkimResult).Where(e => e.Site == "bank").ToList();
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.True(r.Field("Result") == "pass", $"{r.Field("Reason")} {r.Field("BodyHashClaimed")} {r.Field("BodyHashComputed")}"));
        var stored = await RelayTestHelpers.OnlyMessage(lab, "bob@bank.test");
        Assert.EndsWith(Awkward[Awkward.IndexOf("\r\n\r\n", StringComparison.Ordinal)..], stored); // body byte for byte
    }

    private static async Task SubmitRaw(TestLab lab, string message)
    {
        var msa = lab.Runtime!.EndPoint("uc", "MSA", "starttls");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(msa);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Stream stream = tcp.GetStream();
        var lines = new ClientLines(stream);
        Assert.StartsWith("220", await lines.ReadReplyAsync(cts.Token));
        async Task<string> Say(string line)
        {
            await lines.Stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"), cts.Token);
            return (await lines.ReadReplyAsync(cts.Token))!;
        }
        Assert.StartsWith("250", await Say("EHLO client.uc.test"));
        Assert.StartsWith("220", await Say("STARTTLS"));
        var tls = new SslStream(stream, false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "mx.uc.test" }, cts.Token);
        lines.Stream = tls;
        Assert.StartsWith("250", await Say("EHLO client.uc.test"));
        Assert.StartsWith("235", await Say("AUTH PLAIN " + Convert.ToBase64String(Encoding.UTF8.GetBytes("\0alice@uc.test\0lab-alice"))));
        Assert.StartsWith("250", await Say("MAIL FROM:<alice@uc.test> BODY=8BITMIME"));
        Assert.StartsWith("250", await Say("RCPT TO:<bob@bank.test>"));
        Assert.StartsWith("354", await Say("DATA"));
        Assert.StartsWith("250", await Say(message + "."));
        await Say("QUIT");
    }
}
