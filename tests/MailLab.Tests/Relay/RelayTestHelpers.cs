using System.Net;
using System.Net.Sockets;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailLab.Server.Trace;
using MailLab.Tests.Support;
using MimeKit;

namespace MailLab.Tests.Relay;

internal static class RelayTestHelpers
{
    /// <summary>Submits as alice@uc.test through uc's MSA (STARTTLS + AUTH), the way a mail client would.</summary>
    public static async Task SubmitAsAlice(TestLab lab, string subject, params string[] to)
    {
        var msa = lab.Runtime!.EndPoint("uc", "MSA", "starttls");
        var m = new MimeMessage();
        m.From.Add(MailboxAddress.Parse("alice@uc.test"));
        foreach (var t in to) m.To.Add(MailboxAddress.Parse(t));
        m.Subject = subject;
        m.Body = new TextPart("plain") { Text = "Relayed between lab sites." };
        using var client = new SmtpClient { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false, Timeout = 20_000 };
        await client.ConnectAsync(msa.Address.ToString(), msa.Port, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync("alice@uc.test", "lab-alice");
        await client.SendAsync(m);
        await client.DisconnectAsync(true);
    }

    public static async Task<string> OnlyMessage(TestLab lab, string user, int timeoutMs = 15_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (true)
        {
            var list = await lab.Store.ListAsync(user, "INBOX", default);
            if (list.Count > 0)
            {
                await using var s = (await lab.Store.OpenReadAsync(Assert.Single(list), default))!;
                return await new StreamReader(s).ReadToEndAsync();
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"nothing in {user}'s INBOX");
            await Task.Delay(50);
        }
    }

    /// <summary>Edits the data directory's zone of <paramref name="domain"/> and waits until the lab DNS has loaded it.</summary>
    public static async Task EditZone(TestLab lab, string domain, Func<string, string> edit)
    {
        var zone = Path.Combine(lab.DataDirectory, "zones", domain + ".zone");
        var before = lab.Tracer.Stream.Count;
        await File.WriteAllTextAsync(zone, edit(await File.ReadAllTextAsync(zone)));
        await lab.WaitForEvent(e => e.Sequence > before && e.Kind == TraceKind.ZoneLoaded && e.Text.Contains(domain), 5_000);
    }

    public static Task<TraceEvent> Outcome(TestLab lab, string rcpt, string state, int timeoutMs = 15_000) =>
        lab.WaitForEvent(e => e.Kind == TraceKind.RelayOutcome && e.Field("Recipient") == rcpt && e.Field("State") == state, timeoutMs);

    /// <summary>A port that was free a moment ago on <paramref name="address"/> (nothing listens there now).</summary>
    public static int FreePort(string address)
    {
        var l = new TcpListener(IPAddress.Parse(address), 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
