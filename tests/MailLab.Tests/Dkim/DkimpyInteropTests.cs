using System.Text;
using MailLab.Server.Trace;
using MailLab.Tests.Interop;
using MailLab.Tests.Relay;
using MailLab.Tests.Support;

namespace MailLab.Tests.Dkim;

/// <summary>
/// Interop with Debian's python3-dkim (dkimpy) in both directions, keys always fetched from the lab
/// DNS over the wire: MailLab's signatures verify in dkimpy, dkimsign's signatures verify at bank.test's MTA.
/// </summary>
public sealed class DkimpyInteropTests
{
    private const string Python = "/usr/bin/python3"; // Debian's, where python3-dkim is installed
    private static string Script => Path.Combine(AppContext.BaseDirectory, "Dkim", "dkimpy_verify.py");

    [Fact]
    public async Task Mail_signed_by_the_uc_MSA_and_relayed_verifies_in_dkimpy_for_rsa_and_ed25519()
    {
        await using var lab = TestLab.Create().Start();
        await RelayTestHelpers.SubmitAsAlice(lab, "checked by dkimpy", "bob@bank.test");
        var stored = await RelayTestHelpers.OnlyMessage(lab, "bob@bank.test");
        var dns = lab.Runtime!.Dns!.EndPoint;
        var (code, output, err) = await ExternalTool.Run(Python, [Script, dns.Address.ToString(), dns.Port.ToString()], stored);
        Assert.True(code == 0, output + err);
        Assert.Contains("0 pass rsa-sha256 uc.test", output);
        Assert.Contains("1 pass ed25519-sha256 uc.test", output);

        // And dkimpy notices a changed body, so the passes above mean something.
        var (badCode, badOut, _) = await ExternalTool.Run(Python, [Script, dns.Address.ToString(), dns.Port.ToString()],
            stored.Replace("Relayed between lab sites.", "Relayed between lab sites!"));
        Assert.Equal(1, badCode);
        Assert.Contains("0 fail", badOut);
    }

    [Theory]
    [InlineData("rsa-sha256", "dkimpy/test.private", "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB", "relaxed", "simple")]
    [InlineData("ed25519-sha256", "dkimpy/ed25519test.key", "v=DKIM1; k=ed25519; p=yi50DjK5O9pqbFpNHklsv9lqaS0ArSYu02qp1S0DW1Y=", "simple", "relaxed")]
    public async Task Mail_signed_by_dkimsign_verifies_at_the_bank_MTA(string algorithm, string keyFile, string record, string hcanon, string bcanon)
    {
        await using var lab = TestLab.Create().Start();
        string selector = "py-" + algorithm.Split('-')[0];
        var zone = Path.Combine(lab.DataDirectory, "zones", "uc.test.zone");
        long before = lab.Tracer.Stream.Count;
        await File.AppendAllTextAsync(zone, $"{selector}._domainkey.uc.test. 300 IN TXT \"{record}\"\n");
        await lab.WaitForEvent(e => e.Sequence > before && e.Kind == TraceKind.ZoneLoaded && e.Text.Contains("uc.test"), 5_000);

        var (code, signed, err) = await ExternalTool.Run("dkimsign",
            ["--signalg", algorithm, "--hcanon", hcanon, "--bcanon", bcanon, selector, "uc.test", Path.Combine(DkimSuite.DataDir, keyFile)],
            DkimLabHelpers.Message);
        Assert.True(code == 0, err);
        Assert.StartsWith("DKIM-Signature: v=1; a=" + algorithm, signed);
        var crlf = Encoding.UTF8.GetString(MailAuth.Dkim.DkimMessage.ToCrlf(Encoding.UTF8.GetBytes(signed)));

        var results = await DkimLabHelpers.SendToBank(lab, crlf);
        var r = Assert.Single(results);
        Assert.True(r.Field("Result") == "pass", $"{r.Field("Reason")}: {r.Text}");
        Assert.Equal(selector, r.Field("Selector"));
        Assert.Equal($"{hcanon}/{bcanon}", r.Field("Canonicalization"));

        var tampered = await DkimLabHelpers.SendToBank(lab, crlf.Replace("Subject: transfer", "Subject: Transfer"));
        Assert.Equal("fail", Assert.Single(tampered).Field("Result"));
    }
}
