using MailLab.Protocols.Dns;
using MailLab.Server.Dns;
using MailLab.Server.Relay;

namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// Exercise 15: DNSSEC. The signed MX with its RRSIG (dig +dnssec), the keys and the DS that chain bank.test
/// to the lab's trust anchor, a signature broken on purpose and repaired; then, as the lab's switches allow,
/// the spoofed MX: with <c>spoof-dns</c> alone alice's mail for bob lands in mallory's INBOX, with
/// <c>dnssec-validate</c> too the forged answer is bogus and the mail waits in uc's queue.
/// </summary>
internal sealed class DnssecDemo : IExerciseDemo
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    public int Number => 15;

    public async Task RunAsync(DemoContext ctx, CancellationToken ct)
    {
        string bank = ctx.Domain("bank");
        var dns = ctx.Dns;
        string from = ctx.Student is null ? "" : $" -b {ctx.Student}";
        ctx.Out.WriteLine($"   (asking the lab DNS at {dns} with the DO bit, like: dig @{dns.Address} -p {dns.Port}{from} +dnssec ...)");

        ctx.Step($"The MX of {bank} and its signature (dig +dnssec mx {bank})");
        var mx = await AskAsync(ctx, bank, DnsType.MX, ct);
        var sig = mx.AnswerData<RrsigData>(DnsType.RRSIG).FirstOrDefault(s => s.TypeCovered == DnsType.MX)
            ?? throw new DemoException($"the lab DNS sent no RRSIG over {bank} MX: is the zone signed (dns: dnssec: unsigned)?");
        ctx.Out.WriteLine($"   RRSIG by key tag {sig.KeyTag}, algorithm {sig.Algorithm}, valid until {DnssecText.Time(sig.Expiration)}");

        ctx.Step($"The chain of trust: {bank}'s keys (dig +dnssec dnskey {bank}) and the DS its parent test. holds (dig +dnssec ds {bank})");
        await AskAsync(ctx, bank, DnsType.DNSKEY, ct);
        await AskAsync(ctx, bank, DnsType.DS, ct);
        ctx.Out.WriteLine(DnssecFiles.TrustAnchors(ctx.DataDirectory) is { } anchor
            ? $"   the trust anchor (the DS of test.'s KSK) for delv: {anchor.Bind}"
            : "   (no trust anchor file yet: the lab writes it when it signs its zones)");

        ctx.Step($"Break {bank}'s signatures on purpose (maillab dns break {bank} expired-rrsig), look again, repair");
        await SetBrokenAsync(ctx, bank, "expired-rrsig", ct);
        var broken = await AskAsync(ctx, bank, DnsType.MX, ct);
        var old = broken.AnswerData<RrsigData>(DnsType.RRSIG).First(s => s.TypeCovered == DnsType.MX);
        ctx.Out.WriteLine($"   the RRSIG ended {DnssecText.Time(old.Expiration)}: a validating resolver calls this answer bogus (delv: no valid RRSIG)");
        await SetBrokenAsync(ctx, bank, null, ct);

        var switches = ctx.Lab.Switches;
        if (!switches.SpoofDns)
        {
            ctx.Step("The spoofed MX needs the attacker: maillab up --switch spoof-dns, then this demo again");
            return;
        }
        string alice = ctx.User("uc").Address;
        string bob = ctx.User("bank").Address;
        string mallory = ctx.Lab.Attacks.SpoofDns.Capture;
        string marker = $"dnssec-demo-{Guid.NewGuid():N}";
        var message = Submission.Message(alice, bob, "pay the invoice", $"Bob, the invoice is attached. {marker}");
        if (!switches.DnssecValidate)
        {
            ctx.Step($"spoof-dns on, validation off: {alice} writes to {bob}; uc's resolver asks the forger for {bank} MX");
            await Submission.SendAsync(ctx, "uc", message, ct);
            await ctx.WaitForMessageAsync(mallory, marker, Wait, ct);
            ctx.Out.WriteLine($"   the mail is in {mallory}'s INBOX, not {bob}'s (trace: DnsForged, RelayAttempt mx-lookup with mx.evil.test, MailCaptured)");
            return;
        }
        ctx.Step($"spoof-dns and dnssec-validate on: {alice} writes to {bob} again; the forged MX is checked against {bank}'s keys");
        await Submission.SendAsync(ctx, "uc", message, ct);
        string reason = await WaitForDeferralAsync(ctx, marker, ct);
        ctx.Out.WriteLine($"   the mail waits in uc's queue: {reason} (maillab queue; trace: DnssecValidation bogus)");
    }

    /// <summary>One question with the DO bit, as <c>dig +dnssec</c> asks it, from the student's address when the demo has one.</summary>
    private static async Task<DnsResponse> AskAsync(DemoContext ctx, string name, DnsType type, CancellationToken ct)
    {
        var client = new DnsTransport(ctx.Dns, ctx.Student, TimeSpan.FromSeconds(5), retries: 1);
        var result = await client.QueryAsync(name, type, tcp: false, dnssecOk: true, ct);
        if (result.Response is not { } r) throw new DemoException($"the lab DNS at {ctx.Dns} did not answer {name} {type}: {result.Reason}");
        ctx.Out.WriteLine($";; {name} {type} over {(result.Tcp ? "tcp" : "udp")}: status {r.Status}, {r.Answers.Count} answer(s)");
        foreach (var rec in r.Answers) ctx.Out.WriteLine("   " + Shorten(rec.ToString()));
        return r;
    }

    /// <summary>
    /// What <c>maillab dns break ZONE MODE</c> (or <c>repair ZONE</c> when <paramref name="mode"/> is null) does;
    /// then waits until the lab DNS serves the zone so (it re-signs within a second).
    /// </summary>
    private static async Task SetBrokenAsync(DemoContext ctx, string zone, string? mode, CancellationToken ct)
    {
        if (!DnssecFiles.SetBroken(ctx.DataDirectory, zone, mode, out string? problem)) throw new DemoException($"maillab dns break {zone}: {problem}");
        var deadline = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < deadline)
        {
            var client = new DnsTransport(ctx.Dns, ctx.Student, TimeSpan.FromSeconds(5), retries: 1);
            var r = await client.QueryAsync(zone, DnsType.SOA, tcp: false, dnssecOk: true, ct);
            var sig = r.Response?.AnswerData<RrsigData>(DnsType.RRSIG).FirstOrDefault(s => s.TypeCovered == DnsType.SOA);
            bool expired = sig is not null && sig.Expiration < (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            if (sig is not null && expired == (mode is not null)) return;
            await Task.Delay(200, ct);
        }
        throw new DemoException($"the lab did not serve {zone} {(mode is null ? "repaired" : mode)} within {Wait.TotalSeconds:0} s");
    }

    /// <summary>Waits until the message is deferred in the queue; returns the reason.</summary>
    private static async Task<string> WaitForDeferralAsync(DemoContext ctx, string marker, CancellationToken ct)
    {
        string queue = Path.Combine(ctx.DataDirectory, "queue");
        var deadline = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var entry in RelayQueue.ReadAll(queue))
            {
                if (!File.Exists(Path.Combine(queue, entry.Id, RelayQueue.MessageFile))) continue;
                if (!(await File.ReadAllTextAsync(Path.Combine(queue, entry.Id, RelayQueue.MessageFile), ct)).Contains(marker, StringComparison.Ordinal)) continue;
                if (entry.Recipients.FirstOrDefault(r => r.State == RecipientState.Deferred) is { Reason: { } reason }) return reason;
            }
            await Task.Delay(200, ct);
        }
        throw new DemoException($"the message with {marker} was not deferred in uc's queue within {Wait.TotalSeconds:0} s");
    }

    private static string Shorten(string s) => s.Length > 120 ? s[..117] + "..." : s;
}
