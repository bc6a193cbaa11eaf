// S/MIME verifications per second on one thread (issue 15's bench): a 10 KB message signed by a lab
// user (multipart/signed, RSA-2048, SHA-256, certificate and user CA in the signature), verified over and
// over by the same SmimeVerifier the MDA uses: MIME cut, CMS parse, content hash, signature, chain to the
// lab root (cached per certificate, as in the lab), revocation against the CRL (the file's time checked on
// every message, re-read only when it changes: here it has one revoked entry) and the From comparison.
// Then enveloped-data recognitions per second (recipient infos and cipher, not decrypted).
// Run: dotnet run -c Release --project bench/smime [seconds per case]
using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailLab.Server.Certificates;
using MailLab.Server.Smime;
using MimeKit;

var seconds = args.Length > 0 && double.TryParse(args[0], out var s) ? s : 5;
var dir = Directory.CreateTempSubdirectory("maillab-smime-bench-").FullName;
try
{
    var users = UserCertificateAuthority.LoadOrCreate(LabCertificateAuthority.LoadOrCreate(dir), "http://127.0.9.1:11371/pki/user-ca.crl");
    users.GetOrIssue("alice@uc.test", out _).Dispose();
    users.GetOrIssue("bob@bank.test", out _).Dispose();
    users.GetOrIssue("eve@evil.test", out _).Dispose();
    users.Revoke("eve@evil.test", X509RevocationReason.KeyCompromise, out _); // a CRL with one entry to look through

    var signed = Message(m => SmimeComposer.Sign(m, users, "alice@uc.test"));
    var encrypted = Message(m => SmimeComposer.Encrypt(m, users, ["bob@bank.test"]));
    Console.WriteLine($"signed message: {signed.Length} octets; encrypted: {encrypted.Length} octets; {Environment.ProcessorCount} cores present, one thread used");

    var verifier = new SmimeVerifier(dir);
    Measure("S/MIME signature verifications (chain + CRL)", signed, "valid");
    Measure("S/MIME enveloped-data recognitions", encrypted, "encrypted");
    Console.WriteLine($"load average while measuring: {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a")}");
    return 0;

    void Measure(string name, byte[] message, string expected)
    {
        var first = verifier.Verify(message, "alice@uc.test");
        if (first.Verdict != expected) throw new InvalidOperationException($"{name}: expected {expected}, got {first.Verdict}: {first.Reason}");
        for (int i = 0; i < 500; i++) verifier.Verify(message, "alice@uc.test"); // warm-up (JIT)
        long count = 0;
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            for (int i = 0; i < 100; i++) verifier.Verify(message, "alice@uc.test");
            count += 100;
        }
        sw.Stop();
        // The machine may be shared: CPU time of this process (one thread working) is the figure that does not depend on the load.
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Console.WriteLine($"{name}: {count} in {sw.Elapsed.TotalSeconds:F2} s: {count / sw.Elapsed.TotalSeconds:F0} per second of wall time, {count / cpu:F0} per CPU second ({cpu * 1e6 / count:F0} us CPU each), {allocated / count} bytes allocated each");
    }
}
finally
{
    Directory.Delete(dir, recursive: true);
}

static byte[] Message(Action<MimeMessage> protect)
{
    var m = new MimeMessage();
    m.From.Add(MailboxAddress.Parse("alice@uc.test"));
    m.To.Add(MailboxAddress.Parse("bob@bank.test"));
    m.Subject = "quarterly figures";
    var text = new StringBuilder();
    for (int i = 0; text.Length < 10_000; i++) text.Append($"Line {i,4}: the quarterly figures are attached, as agreed on the phone.\r\n");
    m.Body = new TextPart("plain") { Text = text.ToString() };
    protect(m);
    using var stream = new MemoryStream();
    m.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, stream);
    return stream.ToArray();
}
