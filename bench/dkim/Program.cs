// DKIM verifications per second on one thread (issue 5's bench): a 10 KB message signed once with
// rsa-sha256 (2048-bit key) and once with ed25519-sha256, each verified over and over. The key
// record comes from an in-memory resolver answering synchronously, so key lookup is excluded;
// the key record is still parsed on every verification, as the verifier does for a real message.
// Run: dotnet run -c Release --project bench/dkim [seconds per algorithm]
using System.Diagnostics;
using System.Text;
using MailLab.MailAuth.Dkim;
using MailLab.MailAuth.Spf;

var seconds = args.Length > 0 && double.TryParse(args[0], out var s) ? s : 5;
var message = TenKilobyteMessage();
Console.WriteLine($"message: {message.Length} octets, relaxed/relaxed, {Environment.ProcessorCount} cores present, one thread used");

foreach (var key in new[] { DkimPrivateKey.CreateRsa(2048), DkimPrivateKey.CreateEd25519() })
{
    var signed = Encoding.ASCII.GetBytes(DkimSigner.Sign(message, key, "bench.test", "sel", DateTimeOffset.UtcNow)).Concat(message).ToArray();
    var verifier = new DkimVerifier(new OneKey(key.ToDnsRecord()));
    var first = await verifier.VerifyAsync(signed);
    if (first.Count != 1 || first[0].Result != DkimResultCode.Pass)
    {
        Console.Error.WriteLine($"{key.Algorithm}: expected one pass, got {string.Join(", ", first)}");
        return 1;
    }
    for (int i = 0; i < 2_000; i++) await verifier.VerifyAsync(signed); // warm-up (JIT)

    long count = 0;
    var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    var sw = Stopwatch.StartNew();
    var until = TimeSpan.FromSeconds(seconds);
    while (sw.Elapsed < until)
    {
        for (int i = 0; i < 200; i++) await verifier.VerifyAsync(signed);
        count += 200;
    }
    sw.Stop();
    var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
    Console.WriteLine($"{DkimSignature.Name(key.Algorithm),-15} {key.Bits,4} bits: {count} verifications in {sw.Elapsed.TotalSeconds:F2} s: {count / sw.Elapsed.TotalSeconds:F0} per second, {allocated / count} bytes allocated each");
}

// The MTA's case (issue 19): one message with both signatures, rsa-sha256 2048 on top of ed25519-sha256,
// verified in one VerifyAsync; bytes allocated and microseconds per message (both signatures).
{
    var rsaKey = DkimPrivateKey.CreateRsa(2048);
    var edKey = DkimPrivateKey.CreateEd25519();
    var once = Encoding.ASCII.GetBytes(DkimSigner.Sign(message, edKey, "bench.test", "ed", DateTimeOffset.UtcNow)).Concat(message).ToArray();
    var both = Encoding.ASCII.GetBytes(DkimSigner.Sign(once, rsaKey, "bench.test", "rsa", DateTimeOffset.UtcNow)).Concat(once).ToArray();
    var verifier = new DkimVerifier(new Keys(new()
    {
        ["rsa._domainkey.bench.test"] = rsaKey.ToDnsRecord(),
        ["ed._domainkey.bench.test"] = edKey.ToDnsRecord(),
    }));
    var first = await verifier.VerifyAsync(both);
    if (first.Count != 2 || first.Any(v => v.Result != DkimResultCode.Pass))
    {
        Console.Error.WriteLine($"both: expected two passes, got {string.Join(", ", first)}");
        return 1;
    }
    for (int i = 0; i < 2_000; i++) await verifier.VerifyAsync(both); // warm-up (JIT)
    long count = 0;
    var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    var sw = Stopwatch.StartNew();
    while (sw.Elapsed < TimeSpan.FromSeconds(seconds))
    {
        for (int i = 0; i < 200; i++) await verifier.VerifyAsync(both);
        count += 200;
    }
    sw.Stop();
    var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
    Console.WriteLine($"both signatures ({both.Length} octets): {count} messages in {sw.Elapsed.TotalSeconds:F2} s: {sw.Elapsed.TotalMicroseconds / count:F1} us and {allocated / count} bytes allocated per message");
}

// Reference on the same machine and moment: the bare RSA-2048 signature check, nothing else.
using (var rsa = System.Security.Cryptography.RSA.Create(2048))
{
    var data = new byte[600];
    var sig = rsa.SignData(data, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
    long n = 0;
    var sw = Stopwatch.StartNew();
    while (sw.Elapsed < TimeSpan.FromSeconds(seconds))
    {
        rsa.VerifyData(data, sig, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        n++;
    }
    Console.WriteLine($"reference: bare RSA-2048 VerifyData: {n / sw.Elapsed.TotalSeconds:F0} per second");
}
Console.WriteLine($"load average while measuring: {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a")}");
return 0;

static byte[] TenKilobyteMessage()
{
    var sb = new StringBuilder()
        .Append("From: Alice <alice@bench.test>\r\nTo: bob@bank.test\r\nSubject: quarterly figures\r\n")
        .Append("Date: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <bench@bench.test>\r\nMIME-Version: 1.0\r\n")
        .Append("Content-Type: text/plain; charset=us-ascii\r\n\r\n");
    int line = 0;
    while (sb.Length < 10 * 1024 - 80)
    {
        sb.Append($"Line {line++,4}: the quick brown fox jumps over the lazy dog,  twice\t and again.\r\n");
    }
    return Encoding.ASCII.GetBytes(sb.ToString());
}

/// <summary>One key record for every name, returned synchronously: the bench measures the verifier, not a DNS.</summary>
sealed class OneKey(string record) : IDkimResolver
{
    private readonly Task<DnsAnswer<string>> answer = Task.FromResult(DnsAnswer<string>.Found([record]));

    public Task<DnsAnswer<string>> LookupTxtAsync(string name, CancellationToken ct) => answer;
}

/// <summary>Key records by name, answered synchronously from tasks made once (the bench measures the verifier).</summary>
sealed class Keys(Dictionary<string, string> records) : IDkimResolver
{
    private readonly Dictionary<string, Task<DnsAnswer<string>>> answers =
        records.ToDictionary(kv => kv.Key, kv => Task.FromResult(DnsAnswer<string>.Found([kv.Value])));
    private readonly Task<DnsAnswer<string>> none = Task.FromResult(DnsAnswer<string>.Failed("no such key"));

    public Task<DnsAnswer<string>> LookupTxtAsync(string name, CancellationToken ct) => answers.GetValueOrDefault(name, none);
}
