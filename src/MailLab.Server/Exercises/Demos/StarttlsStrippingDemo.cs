using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailKit.Net.Smtp;
using MailLab.Protocols.Dns;
using MailLab.Server.Attacks;
using MailLab.Server.Dns;
using MailLab.Server.Relay;
using MimeKit;

namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// Exercise 16: the STARTTLS stripping attack (lab switches strip-starttls and dnssec-validate). bank's TLSA
/// record checked against its certificate; unpublished, so nothing protects the hop: alice's mail passes the man
/// in the middle in plaintext and its transcript holds the message; published again: DANE makes the relay refuse
/// and defer; then an MTA-STS enforce policy does the same without DNSSEC. Before both, the sender's own protection: a
/// REQUIRETLS message fails with 5.7.30 rather than pass the attacker.
/// </summary>
internal sealed class StarttlsStrippingDemo : IExerciseDemo
{
    public int Number => 16;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    public async Task RunAsync(DemoContext ctx, CancellationToken ct)
    {
        string bank = ctx.Domain("bank");
        var mxHost = ctx.Site("bank").HostNames[0];
        string owner = $"_25._tcp.{mxHost}";
        string zone = ctx.ZoneFile(bank);
        string transcript = AttackTranscript.StripStarttlsPath(ctx.DataDirectory);

        ctx.Step($"DANE's key: the TLSA record of bank's MX host (dig +dnssec {owner} TLSA), and the certificate's key hash");
        var tlsa = await DnsDemo.AskAsync(ctx, owner, DnsType.TLSA, ct, tcp: true);
        string spki = SpkiSha256(ctx);
        ctx.Out.WriteLine($"   SHA-256 of bank's certificate's public key (openssl x509 -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256): {spki}");
        bool matches = tlsa.AnswerData<TlsaData>(DnsType.TLSA).Any(t => t is { Usage: 3, Selector: 1, MatchingType: 1 }
            && Convert.ToHexString(t.Association).Equals(spki, StringComparison.OrdinalIgnoreCase));
        ctx.Out.WriteLine(matches ? "   The TLSA record 3 1 1 pins exactly that key." : "   No TLSA 3 1 1 record matches (edited?); the demo publishes one below.");

        ctx.Step($"No protection: remove the TLSA records from {zone} (the lab DNS reloads it)");
        await EditZoneAsync(ctx, zone, lines => lines.Where(l => !l.StartsWith("_25._tcp.", StringComparison.Ordinal)));
        await UntilAsync(ctx, owner, DnsType.TLSA, present: false, ct);

        var alice = ctx.User("uc").Address;
        var bob = ctx.User("bank").Address;
        ctx.Step($"Send {alice} -> {bob} through uc's MSA; the relay's route to bank's MTA leads through the attacker");
        var stripped = Submission.Message(alice, bob, "stripped salary figures", "Opportunistic TLS: readable by whoever strips STARTTLS.");
        await SendAsync(ctx, stripped, requireTls: false, ct);
        await ctx.WaitForMessageAsync(bob, stripped.MessageId!, Wait, ct);
        ctx.Out.WriteLine($"   Delivered to {bob}. What the man in the middle recorded ({transcript}, 'maillab attack log'):");
        foreach (var line in (await ReadTextAsync(transcript, ct)).Split('\n').Where(l => l.StartsWith('!') || l.Contains("Subject: stripped", StringComparison.Ordinal)))
        {
            ctx.Out.WriteLine("   | " + line.TrimEnd('\r'));
        }

        ctx.Step("REQUIRETLS (RFC 8689): the sender asks, still with no DANE or MTA-STS, for TLS on every hop (MAIL FROM:<...> REQUIRETLS, over TLS)");
        var require = Submission.Message(alice, bob, "salary figures with REQUIRETLS", "REQUIRETLS: TLS on every hop, or a bounce.");
        await SendAsync(ctx, require, requireTls: true, ct);
        await ctx.WaitForMessageAsync(alice, require.MessageId!, Wait, ct);
        ctx.Out.WriteLine($"   The relay would not hand it to a hop without verified TLS: it failed (5.7.30) and {alice} got the bounce.");

        ctx.Step($"DANE: publish the TLSA record again, computed from the certificate ({owner}. IN TLSA 3 1 1 <hash>)");
        await EditZoneAsync(ctx, zone, lines => lines.Append($"{owner}. 3600 IN TLSA 3 1 1 {spki.ToLowerInvariant()}"));
        await UntilAsync(ctx, owner, DnsType.TLSA, present: true, ct);
        var dane = Submission.Message(alice, bob, "salary figures under DANE", "DANE: TLS or nothing.");
        string daneId = await SendAsync(ctx, dane, requireTls: false, ct);
        await DeferredAsync(ctx, daneId, ct);
        bool seen = (await ReadTextAsync(transcript, ct)).Contains(dane.MessageId!, StringComparison.Ordinal);
        ctx.Out.WriteLine(seen ? "   (the attacker's transcript has the message!)" : "   The attacker's transcript has the connection and the stripped EHLO, but no message.");

        ctx.Step($"MTA-STS: publish _mta-sts.{bank} TXT (the policy {ctx.DataDirectory}/mta-sts/{bank}.txt says enforce), then drop the TLSA record");
        await EditZoneAsync(ctx, zone, lines => lines.Append("_mta-sts IN TXT \"v=STSv1; id=1;\""));
        await UntilAsync(ctx, "_mta-sts." + bank, DnsType.TXT, present: true, ct);
        string policy = Path.Combine(ctx.DataDirectory, "mta-sts", bank + ".txt");
        foreach (var line in (await ReadTextAsync(policy, ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries)) ctx.Out.WriteLine("   | " + line);
        await EditZoneAsync(ctx, zone, lines => lines.Where(l => !l.StartsWith("_25._tcp.", StringComparison.Ordinal)));
        await UntilAsync(ctx, owner, DnsType.TLSA, present: false, ct);
        var sts = Submission.Message(alice, bob, "salary figures under MTA-STS", "MTA-STS enforce: TLS with a valid certificate, or nothing.");
        await DeferredAsync(ctx, await SendAsync(ctx, sts, requireTls: false, ct), ct);

    }

    /// <summary>The SHA-256 of bank's MTA certificate's SubjectPublicKeyInfo (TLSA selector 1, matching type 1), hex.</summary>
    private static string SpkiSha256(DemoContext ctx)
    {
        string file = Path.Combine(ctx.DataDirectory, "certs", "sites", ctx.Site("bank").Name + ".crt");
        if (!File.Exists(file)) throw new DemoException($"no certificate at {file}");
        using var cert = X509CertificateLoader.LoadCertificateFromFile(file);
        return Convert.ToHexString(SHA256.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>Submits as the uc user (MailKit, TLS checked against the lab CA); returns the queue id from the 250 reply.</summary>
    private static async Task<string> SendAsync(DemoContext ctx, MimeMessage message, bool requireTls, CancellationToken ct)
    {
        var user = ctx.User("uc");
        using SmtpClient client = await Submission.ConnectAsync(ctx, "uc", implicitTls: false, ct);
        client.RequireTLS = requireTls;
        await client.AuthenticateAsync(user.Address, user.Password, ct);
        string reply = await client.SendAsync(message, ct);
        await client.DisconnectAsync(true, ct);
        return reply.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? throw new DemoException($"no queue id in '{reply}'");
    }

    /// <summary>Waits until the queue entry's recipients are deferred, and prints the reason as 'maillab queue' does.</summary>
    private static async Task DeferredAsync(DemoContext ctx, string queueId, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < deadline)
        {
            var entry = RelayQueue.ReadAll(Path.Combine(ctx.DataDirectory, "queue")).FirstOrDefault(e => e.Id == queueId);
            if (entry?.Recipients.FirstOrDefault(r => r.State == RecipientState.Deferred) is { } r)
            {
                ctx.Out.WriteLine($"   maillab queue: {queueId} {r.Address} deferred {r.Status}: {r.Reason}");
                return;
            }
            if (entry is null) throw new DemoException($"{queueId} left the queue: it was not deferred");
            await Task.Delay(100, ct);
        }
        throw new DemoException($"{queueId} was not deferred within {Wait.TotalSeconds:0} s");
    }

    private static async Task EditZoneAsync(DemoContext ctx, string zone, Func<IEnumerable<string>, IEnumerable<string>> edit)
    {
        var lines = await File.ReadAllLinesAsync(zone);
        await File.WriteAllLinesAsync(zone, edit(lines).ToList(), CancellationToken.None);
        ctx.Out.WriteLine($"   (edited {zone})");
    }

    /// <summary>Asks the lab DNS (from the student's address) until the record is there, or gone.</summary>
    private static async Task UntilAsync(DemoContext ctx, string name, DnsType type, bool present, CancellationToken ct)
    {
        var client = new DnsTransport(ctx.Dns, ctx.Student, TimeSpan.FromSeconds(5), retries: 1);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            var r = (await client.QueryAsync(name, type, tcp: true, ct)).Response;
            if (r is not null && r.Answers.Any(a => a.Type == type) == present)
            {
                ctx.Out.WriteLine($";; {name} {type}: {(present ? string.Join(" | ", r.Answers.Where(a => a.Type == type)) : "no record")}");
                return;
            }
            await Task.Delay(200, ct);
        }
        throw new DemoException($"the lab DNS did not {(present ? "serve" : "drop")} {name} {type} within 10 s of the edit");
    }

    private static async Task<string> ReadTextAsync(string file, CancellationToken ct) =>
        File.Exists(file) ? await File.ReadAllTextAsync(file, ct) : "";
}
