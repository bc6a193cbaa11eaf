using System.Text;
using MailLab.Server.Relay;
using MailLab.Server.Trace;

namespace MailLab.Tests.Trace;

/// <summary>The relay's client-side protocol logger masks AUTH like the sessions do, the 334 exchange included.</summary>
public class RelayLoggerSecretsTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AUTH_lines_and_the_responses_to_334_are_masked_unless_revealed(bool reveal)
    {
        var tracer = new Tracer(new TraceStream(64), null, reveal);
        var logger = new RelayProtocolLogger(tracer.For("uc", TraceRole.MTA, "R1"));
        void Client(string s) => logger.LogClient(Encoding.ASCII.GetBytes(s), 0, s.Length);
        void Server(string s) => logger.LogServer(Encoding.ASCII.GetBytes(s), 0, s.Length);
        var plain = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0relay@uc.test\0Relay-Pw-77"));
        var user = Convert.ToBase64String(Encoding.UTF8.GetBytes("relay@uc.test"));
        var password = Convert.ToBase64String(Encoding.UTF8.GetBytes("Relay-Pw-77"));

        Client($"AUTH PLAIN {plain} extra\r\n");
        Server("535 5.7.8 no\r\n");
        Client("AUTH LOGIN\r\n");
        Server("334 VXNlcm5hbWU6\r\n");
        Client(user + "\r\n");
        Server("334 UGFzc3dvcmQ6\r\n");
        Client(password + "\r\n");
        Server("235 2.7.0 ok\r\n");
        Client("MAIL FROM:<relay@uc.test>\r\n");

        var sent = tracer.Stream.Query(new TraceQuery(Kind: TraceKind.RelayCommandSent)).Select(e => e.Text).ToList();
        var all = string.Join("\n", sent);
        Assert.Equal(reveal, all.Contains(plain));
        Assert.Equal(reveal, all.Contains(password));
        Assert.Equal(reveal, all.Contains(user));
        if (!reveal)
        {
            Assert.Equal(["C: AUTH PLAIN <redacted>", "C: AUTH LOGIN", "C: <redacted>", "C: <redacted>", "C: MAIL FROM:<relay@uc.test>"], sent);
        }
    }
}
