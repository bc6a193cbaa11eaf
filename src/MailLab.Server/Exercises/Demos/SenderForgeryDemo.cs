using MailKit;
using MailKit.Net.Smtp;
using MimeKit;

namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// Exercise 11: an insider. Logged in as herself, alice submits mail with carol's From (RFC 6409 §8
/// lets the MSA refuse that; the switch <c>allow-sender-forgery</c> turns the rule off). Relayed to
/// another site, the forgery passes DMARC: uc.test's own DKIM signature covers it. On the default lab
/// the same steps are refused by the MSA, which is the only place that knows who logged in; the demo
/// narrates whichever the running lab does, so running it once on each lab meets every objective.
/// </summary>
internal sealed class SenderForgeryDemo : IExerciseDemo
{
    public int Number => 11;

    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(30);

    public async Task RunAsync(DemoContext ctx, CancellationToken ct)
    {
        var alice = ctx.User("uc");
        var users = ctx.Site("uc").Users;
        if (users.Count < 3) throw new DemoException("this demo needs three users at uc (alice, carol and dave in the default lab)");
        var carol = ctx.User("uc", 1);
        var dave = ctx.User("uc", 2);
        var bob = ctx.User("bank");

        ctx.Step($"Logged in as {alice.Address}, submit a message to {dave.Address} whose From is {carol.Address} (envelope still {alice.Address})");
        var local = Forged(carol.Address, dave.Address, "exam moved to Monday", "The exam is moved to Monday, 8:00. Carol");
        bool accepted = await TrySendAsync(ctx, alice, local, alice.Address, ct);
        if (accepted)
        {
            await ctx.WaitForMessageAsync(dave.Address, local.MessageId!, DeliveryTimeout, ct);
            ctx.Out.WriteLine($"   Delivered: {dave.Address}'s mail client shows it as from {carol.Address}, DKIM-signed by {ctx.Domain("uc")}.");

            ctx.Step($"The same forgery to {bob.Address} at another site: does DMARC there notice?");
            var remote = Forged(carol.Address, bob.Address, "invoice", "Please pay the attached invoice today. Carol");
            await TrySendAsync(ctx, alice, remote, alice.Address, ct);
            string copy = await ctx.WaitForMessageAsync(bob.Address, remote.MessageId!, DeliveryTimeout, ct);
            foreach (var line in copy.Split("\r\n").TakeWhile(l => l.Length > 0)
                .Where(l => l.StartsWith("Authentication-Results:", StringComparison.OrdinalIgnoreCase) || l.StartsWith('\t') || l.StartsWith(' '))
                .Take(6))
            {
                ctx.Out.WriteLine("   | " + line);
            }
            ctx.Out.WriteLine($"   dmarc=pass: the receiver sees a message signed by {ctx.Domain("uc")} with a From in {ctx.Domain("uc")}. Only the MSA knew it was {alice.Address}.");

            ctx.Step($"The envelope too: MAIL FROM:<{carol.Address}> while logged in as {alice.Address}");
            await TrySendAsync(ctx, alice, Forged(carol.Address, dave.Address, "envelope too", "Envelope and header both say carol."), carol.Address, ct);
            ctx.Out.WriteLine("   Return to the default lab (stop it, 'maillab up') and run this demo again: the MSA refuses both.");
        }
        else
        {
            ctx.Step($"The envelope too: MAIL FROM:<{carol.Address}> while logged in as {alice.Address}");
            if (await TrySendAsync(ctx, alice, Forged(carol.Address, dave.Address, "envelope too", "Envelope and header both say carol."), carol.Address, ct))
            {
                throw new DemoException("the MSA refused the forged From but accepted the forged MAIL FROM");
            }
            ctx.Out.WriteLine("   The default lab's MSA checks both identities against the login (RFC 6409 §8, RFC 5321 §7.1).");
        }
    }

    private static MimeMessage Forged(string from, string to, string subject, string body)
    {
        var m = Submission.Message(from, to, subject, body);
        m.From.Clear();
        m.From.Add(new MailboxAddress("Carol", from));
        return m;
    }

    /// <summary>Submits as <paramref name="user"/> with envelope sender <paramref name="mailFrom"/>; false when the MSA refused it.</summary>
    private static async Task<bool> TrySendAsync(DemoContext ctx, Lab.UserDefinition user, MimeMessage message, string mailFrom, CancellationToken ct)
    {
        using var client = await Submission.ConnectAsync(ctx, "uc", implicitTls: false, ct);
        await client.AuthenticateAsync(user.Address, user.Password, ct);
        try
        {
            await client.SendAsync(message, MailboxAddress.Parse(mailFrom), message.To.Mailboxes, ct);
            return true;
        }
        catch (SmtpCommandException e) when ((int)e.StatusCode is 550 or 553)
        {
            ctx.Out.WriteLine($"   Refused: {(int)e.StatusCode} {e.Message}");
            return false;
        }
        finally
        {
            if (client.IsConnected) await client.DisconnectAsync(true, ct);
        }
    }
}
