using MailLab.Tests.Support;

namespace MailLab.Tests.Dkim;

/// <summary><c>maillab dkim keygen | sign | verify</c> as processes, verify against the running test lab's DNS.</summary>
public sealed class DkimCliTests
{
    [Fact]
    public async Task Sign_with_the_lab_keys_then_verify_through_the_lab_DNS_explains_pass_and_a_tampered_body()
    {
        await using var lab = TestLab.Create().Start();
        var dns = lab.Runtime!.Dns!.EndPoint;
        var dir = TempDir.New("dkim-cli");
        var plain = Path.Combine(dir, "plain.eml");
        await File.WriteAllTextAsync(plain, DkimLabHelpers.Message.Replace("\r\n", "\n")); // LF on disk, as editors write it

        var sign = await MailLabProcess.Run("dkim", "sign", plain, "--data", lab.DataDirectory);
        Assert.True(sign.Code == 0, sign.Err);
        Assert.Equal(2, sign.Out.Split("DKIM-Signature: ").Length - 1);
        var signed = Path.Combine(dir, "signed.eml");
        await File.WriteAllTextAsync(signed, sign.Out);

        var ok = await MailLabProcess.Run("dkim", "verify", signed, "--server", $"{dns.Address}:{dns.Port}");
        Assert.True(ok.Code == 0, ok.Out + ok.Err);
        Assert.Contains("key: k=rsa, 2048 bits [lab-rsa._domainkey.uc.test TXT -> v=DKIM1; k=rsa; p=", ok.Out);
        Assert.Contains("key: k=ed25519, 256 bits [lab-ed25519._domainkey.uc.test TXT", ok.Out);
        Assert.Equal(2, ok.Out.Split("result: pass (signature verified)").Length - 1);

        var tampered = Path.Combine(dir, "tampered.eml");
        await File.WriteAllTextAsync(tampered, sign.Out.Replace("100 EUR", "900 EUR"));
        var bad = await MailLabProcess.Run("dkim", "verify", tampered, "--server", $"{dns.Address}:{dns.Port}");
        Assert.Equal(1, bad.Code);
        Assert.Matches(@"body-hash: relaxed body, \d+ octets canonical: computed bh=\S+, claimed bh=\S+ FAILED", bad.Out);
        Assert.Equal(2, bad.Out.Split("result: fail (body hash mismatch)").Length - 1);
    }

    [Fact]
    public async Task Keygen_writes_a_private_key_and_prints_the_record_which_is_not_published_until_added()
    {
        await using var lab = TestLab.Create().Start();
        var dns = lab.Runtime!.Dns!.EndPoint;
        var gen = await MailLabProcess.Run("dkim", "keygen", "--domain", "uc.test", "--selector", "s2026", "--algorithm", "ed25519", "--data", lab.DataDirectory);
        Assert.True(gen.Code == 0, gen.Err);
        Assert.Matches(@"s2026\._domainkey\.uc\.test\. 3600 IN TXT ""v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=""", gen.Out);
        Assert.True(File.Exists(Path.Combine(lab.DataDirectory, "dkim", "uc.test", "s2026.key")));
        var again = await MailLabProcess.Run("dkim", "keygen", "--domain", "uc.test", "--selector", "s2026", "--data", lab.DataDirectory);
        Assert.Equal(1, again.Code);

        var dir = TempDir.New("dkim-cli");
        var plain = Path.Combine(dir, "plain.eml");
        await File.WriteAllTextAsync(plain, DkimLabHelpers.Message);
        var sign = await MailLabProcess.Run("dkim", "sign", plain, "--selector", "s2026", "--data", lab.DataDirectory);
        var signed = Path.Combine(dir, "signed.eml");
        await File.WriteAllTextAsync(signed, sign.Out);
        var verify = await MailLabProcess.Run("dkim", "verify", signed, "--server", $"{dns.Address}:{dns.Port}");
        Assert.Equal(1, verify.Code);
        Assert.Contains("[s2026._domainkey.uc.test TXT -> NXDOMAIN] FAILED", verify.Out);
        Assert.Contains("result: permerror (no key for signature (RFC 6376 §6.1.2))", verify.Out);

        // Published in the zone file: the same file now verifies.
        var zone = Path.Combine(lab.DataDirectory, "zones", "uc.test.zone");
        long before = lab.Tracer.Stream.Count;
        await File.AppendAllTextAsync(zone, gen.Out.Split('\n').First(l => l.StartsWith("s2026.")) + "\n");
        await lab.WaitForEvent(e => e.Sequence > before && e.Kind == Server.Trace.TraceKind.ZoneLoaded && e.Text.Contains("uc.test"), 5_000);
        var after = await MailLabProcess.Run("dkim", "verify", signed, "--server", $"{dns.Address}:{dns.Port}");
        Assert.True(after.Code == 0, after.Out);
    }
}
