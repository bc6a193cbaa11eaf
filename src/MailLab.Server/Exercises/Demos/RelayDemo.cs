using MailLab.Protocols.Dns;
using MailLab.Server.Dns;

namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// Exercise 7: mail across sites. Look up the MX, submit to the home site's MSA, let its queue relay
/// to the other site's MTA, read the Received chain of the delivered copy; then a domain that does
/// not exist, and the bounce (RFC 3464) that comes back.
/// </summary>
internal sealed class RelayDemo : IExerciseDemo
{
    public int Number => 7;

    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(30);

    public async Task RunAsync(DemoContext ctx, CancellationToken ct)
    {
        string bank = ctx.Domain("bank");
        string alice = ctx.User("uc").Address, bob = ctx.User("bank").Address;

        ctx.Step($"Which host takes mail for {bank}? The MSA's queue will ask the same question (dig mx {bank})");
        await DnsDemo.AskAsync(ctx, bank, DnsType.MX, ct);

        ctx.Step($"Submit as {alice} to {ctx.Domain("uc")}'s MSA, for {bob} at another site");
        var message = Submission.Message(alice, bob, "across the lab", "Two hops: uc's MSA queues it, uc's MTA client relays it to bank's MTA.");
        await Submission.SendAsync(ctx, "uc", message, ct);

        ctx.Step($"Wait for the relay, then read the header of the copy in {ctx.Maildir(bob)} (newest Received first)");
        string delivered = await ctx.WaitForMessageAsync(bob, message.MessageId!, DeliveryTimeout, ct);
        PrintHeader(ctx, delivered);

        string nowhere = "nobody@nowhere.test";
        ctx.Step($"A recipient in a domain the lab DNS does not know ({nowhere}): the queue fails it and bounces");
        var lost = Submission.Message(alice, nowhere, "to nowhere", "This one cannot be delivered.");
        await Submission.SendAsync(ctx, "uc", lost, ct);
        string bounce = await ctx.WaitForMessageAsync(alice, lost.MessageId!, DeliveryTimeout, ct);
        ctx.Out.WriteLine($"   The bounce reached {alice}:");
        PrintHeader(ctx, bounce);
    }

    private static void PrintHeader(DemoContext ctx, string message)
    {
        int end = message.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        foreach (var line in (end < 0 ? message : message[..end]).Split("\r\n"))
        {
            ctx.Out.WriteLine("   | " + line);
        }
    }
}
