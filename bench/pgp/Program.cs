// PGP/MIME signature verifications per second on one thread (issue 15 §5): a 10 KB message signed by
// bob's lab key (Ed25519), verified over and over as the MDA does at delivery for alice: MIME parse, the
// signed part in CRLF form, the key found in the local keyring (<data>/pgp/public, whose files are
// checked for changes on every lookup), the signature check, and bob's validity in alice's web of trust
// (alice -> carol -> bob; the result is remembered per keyring state, as at delivery).
// Run: dotnet run -c Release --project bench/pgp [seconds]
using System.Diagnostics;
using System.Text;
using MailLab.Server.Lab;
using MailLab.Server.OpenPgp;

var seconds = args.Length > 0 && double.TryParse(args[0], out var s) ? s : 5;
var data = Directory.CreateTempSubdirectory("pgp-bench-").FullName;
try
{
    var lab = LabDefinitionLoader.Parse("""
        name: bench
        dns: { port: 0 }
        web: { port: 0 }
        sites:
          - name: uc
            domains: [uc.test]
            host-names: [mx.uc.test]
            address: 127.0.1.1
            ports: { mta: 0, submission: 0, submissions: 0 }
            users:
              - { address: alice@uc.test, password: lab-alice }
              - { address: carol@uc.test, password: lab-carol }
          - name: bank
            domains: [bank.test]
            host-names: [mx.bank.test]
            address: 127.0.2.1
            ports: { mta: 0, submission: 0, submissions: 0 }
            users:
              - { address: bob@bank.test, password: lab-bob }
        """, "bench.yml");
    var store = new PgpKeyStore(data);
    store.EnsureUserKeys(lab);
    var message = PgpMessages.SignMime(TenKilobyteMessage(), store.LoadSecret("bob@bank.test")!, "lab-bob");
    var lookup = new PgpKeyLookup(store, () => null, null);
    PgpRecipient[] alice = [new("alice@uc.test", null)];
    var kind = PgpDetect.Kind(message);
    var first = await PgpVerifier.VerifyAsync(message, kind, alice, lookup, default);
    if (first.Result != "valid" || first.Validity[0] != "alice@uc.test: full")
    {
        Console.Error.WriteLine($"expected valid with full validity, got {first.Summary}");
        return 1;
    }
    Console.WriteLine($"message: {message.Length} octets PGP/MIME, EdDSA (Ed25519) SHA-256, {Environment.ProcessorCount} cores present, one thread used");
    // Warm-up: two seconds, so tiered JIT has compiled the hot paths fully.
    var warm = Stopwatch.StartNew();
    while (warm.Elapsed < TimeSpan.FromSeconds(2)) await PgpVerifier.VerifyAsync(message, PgpDetect.Kind(message), alice, lookup, default);

    long count = 0;
    var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    var sw = Stopwatch.StartNew();
    while (sw.Elapsed < TimeSpan.FromSeconds(seconds))
    {
        for (int i = 0; i < 100; i++) await PgpVerifier.VerifyAsync(message, PgpDetect.Kind(message), alice, lookup, default);
        count += 100;
    }
    sw.Stop();
    var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
    Console.WriteLine($"PGP/MIME verify (local keyring, web of trust): {count} in {sw.Elapsed.TotalSeconds:F2} s: {count / sw.Elapsed.TotalSeconds:F0} per second, {allocated / count} bytes allocated each");

    // What the check costs an unsigned message: the Content-Type scan alone.
    var plain = TenKilobyteMessage();
    const int scans = 200_000;
    int found = 0;
    sw.Restart();
    for (int i = 0; i < scans; i++) found += (int)PgpDetect.Kind(plain);
    sw.Stop();
    Console.WriteLine($"unsigned 10 KB message, detection only: {sw.Elapsed.TotalMilliseconds * 1_000_000 / scans:F0} ns each ({found} detected)");
    if (Environment.GetEnvironmentVariable("PGP_BENCH_PARTS") == "1")
    {
        Time("keyring state check", () => store.Keyring());
        Time("MimeKit parse", () => MimeKit.MimeMessage.Load(new MemoryStream(message)));
        var sig = PgpVerifier.ReadSignature(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(message)[Encoding.ASCII.GetString(message).IndexOf("-----BEGIN PGP SIGNATURE", StringComparison.Ordinal)..]))!;
        var key = store.LoadPublic("bob@bank.test")!.GetPublicKey();
        var body = new byte[10_000];
        Time("VerifyAsync, no recipient", () => PgpVerifier.VerifyAsync(message, kind, [], lookup, default).GetAwaiter().GetResult());
        Time("VerifyAsync, alice", () => PgpVerifier.VerifyAsync(message, kind, alice, lookup, default).GetAwaiter().GetResult());
        Time("lookup", () => lookup.FindAsync(sig.KeyId, null, "bob@bank.test", default).GetAwaiter().GetResult());
        Time("validity", () => store.Keyring().Validity("alice@uc.test", key, "bob@bank.test"));
        Time("Ed25519 verify of 10 KB", () => { sig.InitVerify(key); sig.Update(body); sig.Verify(); });
    }
    Console.WriteLine($"load average while measuring: {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a")}");
    return 0;
}
finally
{
    Directory.Delete(data, recursive: true);
}

static void Time(string what, Action action)
{
    for (int i = 0; i < 200; i++) action();
    var sw = Stopwatch.StartNew();
    int n = 0;
    while (sw.Elapsed < TimeSpan.FromSeconds(2)) { action(); n++; }
    Console.WriteLine($"  part: {what}: {sw.Elapsed.TotalMilliseconds * 1000 / n:F0} us each");
}

static byte[] TenKilobyteMessage()
{
    var sb = new StringBuilder()
        .Append("From: bob <bob@bank.test>\r\nTo: alice@uc.test\r\nSubject: quarterly figures\r\n")
        .Append("Date: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <bench@bank.test>\r\n")
        .Append("Content-Type: text/plain; charset=us-ascii\r\n\r\n");
    int line = 0;
    while (sb.Length < 10 * 1024 - 80)
    {
        sb.Append($"Line {line++,4}: the quick brown fox jumps over the lazy dog, twice and again.\r\n");
    }
    return Encoding.ASCII.GetBytes(sb.ToString());
}
