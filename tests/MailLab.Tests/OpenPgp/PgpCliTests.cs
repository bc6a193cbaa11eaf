using System.Text;
using MailLab.Server.Lab;
using MailLab.Server.OpenPgp;
using MailLab.Tests.Support;

namespace MailLab.Tests.OpenPgp;

/// <summary><c>maillab pgp ...</c> as processes over a data directory with the test lab's keys and default web.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // checks the Unix mode of an exported secret key
public sealed class PgpCliTests
{
    /// <summary>A data directory with every user's key (as a first start makes them) and the lab file with the passwords.</summary>
    internal static (string Data, string LabFile) Prepare(string extraUsers = "")
    {
        var dir = TempDir.New("pgp-cli");
        var yaml = PgpLab.Yaml();
        var withKeys = LabDefinitionLoader.Parse(yaml, "lab.yml");
        new PgpKeyStore(dir).EnsureUserKeys(withKeys);
        var labFile = Path.Combine(dir, "lab.yml");
        File.WriteAllText(labFile, yaml.Replace("- { address: carol@uc.test, password: lab-carol }", "- { address: carol@uc.test, password: lab-carol }" + extraUsers));
        return (dir, labFile);
    }

    [Fact]
    public async Task Trust_prints_the_path_through_carol_and_an_introducer_set_to_none_breaks_it_until_alice_signs_bob()
    {
        var (data, lab) = Prepare();
        var full = await MailLabProcess.Run("pgp", "trust", "bob@bank.test", "--as", "alice@uc.test", "--data", data);
        Assert.True(full.Code == 0, full.Out + full.Err);
        Assert.Contains("paths: alice@uc.test -> carol@uc.test -> bob@bank.test", full.Out);
        Assert.Contains("validity: full", full.Out);

        var none = await MailLabProcess.Run("pgp", "trust", "bob@bank.test", "--as", "alice@uc.test", "--introducer", "carol@uc.test=none", "--data", data);
        Assert.Equal(1, none.Code);
        Assert.Contains("you do not trust its owner as introducer: does not count", none.Out);
        Assert.Contains("validity: unknown", none.Out);

        var sign = await MailLabProcess.Run("pgp", "sign-key", "alice@uc.test", "bob@bank.test", "--data", data, "--lab", lab);
        Assert.True(sign.Code == 0, sign.Out + sign.Err);
        var direct = await MailLabProcess.Run("pgp", "trust", "bob@bank.test", "--as", "alice@uc.test", "--introducer", "carol@uc.test=none", "--data", data);
        Assert.True(direct.Code == 0, direct.Out + direct.Err);
        Assert.Contains("paths: alice@uc.test -> bob@bank.test", direct.Out);
    }

    [Fact]
    public async Task A_key_from_elsewhere_with_bobs_user_id_is_unknown_to_alice()
    {
        var (data, _) = Prepare();
        var fake = Path.Combine(data, "fake-bob.asc");
        await File.WriteAllTextAsync(fake, PgpKeyStore.Armor(PgpKeyStore.NewKey("bob <bob@bank.test>", "x").Public));
        var r = await MailLabProcess.Run("pgp", "trust", "bob@bank.test", "--as", "alice@uc.test", "--key", fake, "--data", data);
        Assert.Equal(1, r.Code);
        Assert.Contains("carries no certification by another key you know", r.Out);
        Assert.Contains("validity: unknown", r.Out);
    }

    [Fact]
    public async Task Sign_then_verify_prints_every_step_and_a_changed_body_fails()
    {
        var (data, lab) = Prepare();
        var dir = TempDir.New("pgp-cli-msg");
        var plain = Path.Combine(dir, "plain.eml");
        await File.WriteAllTextAsync(plain, "From: bob <bob@bank.test>\nTo: alice@uc.test\nSubject: payment\n\nPlease pay 100 EUR.\n");
        var signed = await MailLabProcess.Run("pgp", "sign", plain, "--as", "bob@bank.test", "--data", data, "--lab", lab);
        Assert.True(signed.Code == 0, signed.Err);
        Assert.Contains("Content-Type: multipart/signed; micalg=pgp-sha256;", signed.Out);
        var file = Path.Combine(dir, "signed.eml");
        await File.WriteAllTextAsync(file, signed.Out);

        var ok = await MailLabProcess.Run("pgp", "verify", file, "--as", "alice@uc.test", "--data", data, "--keyserver", "http://127.0.0.1:9/");
        Assert.True(ok.Code == 0, ok.Out + ok.Err);
        Assert.Contains("key lookup 1. local keyring", ok.Out);
        Assert.Contains("signature: the SHA-256 hash of the content matches", ok.Out);
        Assert.Contains("X-MailLab-OpenPGP: signed (PGP/MIME): valid;", ok.Out);
        Assert.Contains("key validity alice@uc.test: full", ok.Out);

        var tampered = Path.Combine(dir, "tampered.eml");
        await File.WriteAllTextAsync(tampered, signed.Out.Replace("100 EUR", "900 EUR"));
        var bad = await MailLabProcess.Run("pgp", "verify", tampered, "--data", data, "--keyserver", "http://127.0.0.1:9/");
        Assert.Equal(1, bad.Code);
        Assert.Contains("signature: does NOT verify", bad.Out);
    }

    [Fact]
    public async Task Keygen_makes_a_key_for_a_user_added_later_once_and_export_secret_writes_0600()
    {
        var (data, lab) = Prepare("\n      - { address: dave@uc.test, password: lab-dave }");
        var gen = await MailLabProcess.Run("pgp", "keygen", "dave@uc.test", "--data", data, "--lab", lab);
        Assert.True(gen.Code == 0, gen.Out + gen.Err);
        Assert.Matches("made key 0x[0-9A-F]{16} \\(fingerprint [0-9A-F]{40}\\) \"dave <dave@uc.test>\"", gen.Out);
        Assert.Equal(1, (await MailLabProcess.Run("pgp", "keygen", "dave@uc.test", "--data", data, "--lab", lab)).Code);
        Assert.Equal(2, (await MailLabProcess.Run("pgp", "keygen", "nobody@uc.test", "--data", data, "--lab", lab)).Code);

        var pub = await MailLabProcess.Run("pgp", "export", "dave@uc.test", "--data", data);
        Assert.StartsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----", pub.Out);
        var secret = Path.Combine(data, "dave-secret.asc");
        var exported = await MailLabProcess.Run("pgp", "export", "dave@uc.test", "--secret", "--out", secret, "--data", data);
        Assert.True(exported.Code == 0, exported.Err);
        Assert.StartsWith("-----BEGIN PGP PRIVATE KEY BLOCK-----", await File.ReadAllTextAsync(secret));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secret));
    }
}
