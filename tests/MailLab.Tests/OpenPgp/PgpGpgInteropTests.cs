using System.Text;
using System.Text.RegularExpressions;
using MailLab.Server.OpenPgp;
using MailLab.Tests.Interop;
using MailLab.Tests.Support;

namespace MailLab.Tests.OpenPgp;

/// <summary>
/// gpg (Debian gnupg 2.2) against what <c>maillab pgp</c> makes and the other way round, each test with a
/// GNUPGHOME of its own (its gpg-agent stopped at the end).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // gpg wants a 0700 home
public sealed class PgpGpgInteropTests : IDisposable
{
    private readonly string home;

    public PgpGpgInteropTests()
    {
        // gpg-agent's socket path must stay short (sun_path): a directory directly under /tmp.
        home = Directory.CreateTempSubdirectory("mlgpg-").FullName;
        File.SetUnixFileMode(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private Task<(int Code, string Out, string Err)> Gpg(params string[] args) =>
        ExternalTool.Run("gpg", ["--homedir", home, "--batch", "--no-tty", "--keyid-format", "long", "--pinentry-mode", "loopback", .. args]);

    private async Task Import(string data, string address, bool secret = false, string? passphrase = null)
    {
        var export = await MailLabProcess.Run(secret ? ["pgp", "export", address, "--secret", "--data", data] : ["pgp", "export", address, "--data", data]);
        Assert.True(export.Code == 0, export.Err);
        var file = Path.Combine(home, address + (secret ? ".sec" : ".pub"));
        await File.WriteAllTextAsync(file, export.Out);
        var r = await Gpg(passphrase is null ? ["--import", file] : ["--passphrase", passphrase, "--import", file]);
        Assert.True(r.Code == 0, r.Err);
    }

    [Fact]
    public async Task Gpg_imports_the_exported_keys_and_check_sigs_sees_the_default_webs_certifications()
    {
        var (data, _) = PgpCliTests.Prepare();
        foreach (var a in new[] { "alice@uc.test", "carol@uc.test", "bob@bank.test" }) await Import(data, a);
        var carolId = PgpText.KeyId(new PgpKeyStore(data).LoadPublic("carol@uc.test")!.GetPublicKey().KeyId);
        var aliceId = PgpText.KeyId(new PgpKeyStore(data).LoadPublic("alice@uc.test")!.GetPublicKey().KeyId);
        var bob = await Gpg("--check-sigs", "bob@bank.test");
        Assert.True(bob.Code == 0, bob.Err);
        Assert.Matches($@"sig!\s+{carolId} \d{{4}}-\d\d-\d\d\s+carol <carol@uc.test>", bob.Out);
        Assert.Contains("ed25519", bob.Out);
        Assert.Contains("cv25519", bob.Out);
        var carol = await Gpg("--check-sigs", "carol@uc.test");
        Assert.Matches($@"sig!\s+{aliceId} \d{{4}}-\d\d-\d\d\s+alice <alice@uc.test>", carol.Out);
        Assert.DoesNotContain("sig-", bob.Out + carol.Out); // no bad signature
    }

    [Fact]
    public async Task Gpg_imports_the_secret_key_with_the_lab_password_and_verifies_and_decrypts_what_maillab_makes()
    {
        var (data, lab) = PgpCliTests.Prepare();
        await Import(data, "bob@bank.test");
        await Import(data, "alice@uc.test", secret: true, passphrase: "lab-alice");
        Assert.Contains("alice <alice@uc.test>", (await Gpg("--list-secret-keys")).Out);

        var file = Path.Combine(home, "note.txt");
        await File.WriteAllTextAsync(file, "Bob here.\nThe meeting is at noon.\n");
        var sign = await MailLabProcess.Run("pgp", "sign", file, "--as", "bob@bank.test", "--detach", "--data", data, "--lab", lab);
        Assert.True(sign.Code == 0, sign.Err);
        await File.WriteAllTextAsync(file + ".asc", sign.Out);
        var verify = await Gpg("--verify", file + ".asc", file);
        Assert.True(verify.Code == 0, verify.Err);
        Assert.Contains("Good signature from \"bob <bob@bank.test>\"", verify.Err);

        var plain = Path.Combine(home, "secret.eml");
        await File.WriteAllTextAsync(plain, "From: bob@bank.test\nTo: alice@uc.test\nSubject: s\n\nThe secret is 42.\n");
        var enc = await MailLabProcess.Run("pgp", "encrypt", plain, "--to", "alice@uc.test", "--data", data);
        Assert.True(enc.Code == 0, enc.Err);
        Assert.Contains("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";", enc.Out);
        var block = Regex.Match(enc.Out, "-----BEGIN PGP MESSAGE-----.*?-----END PGP MESSAGE-----", RegexOptions.Singleline).Value;
        await File.WriteAllTextAsync(plain + ".asc", block);
        var dec = await Gpg("--verbose", "--passphrase", "lab-alice", "--decrypt", plain + ".asc");
        Assert.True(dec.Code == 0, dec.Err);
        Assert.Contains("The secret is 42.", dec.Out);
        Assert.Contains("AES256", dec.Err);
    }

    [Fact]
    public async Task Maillab_verifies_a_PGP_MIME_message_and_a_detached_signature_gpg_made()
    {
        var (data, _) = PgpCliTests.Prepare();
        await Import(data, "bob@bank.test", secret: true, passphrase: "lab-bob");
        // RFC 3156 §5: gpg signs the first part's octets (headers and body, CRLF); the mail is built around it.
        var part = "Content-Type: text/plain; charset=utf-8\r\n\r\nSigned by gpg.\r\n";
        var partFile = Path.Combine(home, "part");
        await File.WriteAllBytesAsync(partFile, Encoding.ASCII.GetBytes(part));
        var sig = await Gpg("--passphrase", "lab-bob", "--local-user", "bob@bank.test", "--digest-algo", "SHA256", "--armor", "--detach-sign", "--output", "-", partFile);
        Assert.True(sig.Code == 0, sig.Err);
        var message = "From: bob <bob@bank.test>\r\nTo: alice@uc.test\r\nSubject: from gpg\r\nMIME-Version: 1.0\r\n" +
            "Content-Type: multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"; boundary=\"gpg\"\r\n\r\n" +
            $"--gpg\r\n{part}\r\n--gpg\r\nContent-Type: application/pgp-signature\r\n\r\n{sig.Out.Replace("\n", "\r\n")}\r\n--gpg--\r\n";
        var file = Path.Combine(home, "gpg.eml");
        await File.WriteAllBytesAsync(file, Encoding.ASCII.GetBytes(message));
        var r = await MailLabProcess.Run("pgp", "verify", file, "--as", "alice@uc.test", "--data", data, "--keyserver", "http://127.0.0.1:9/");
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.Contains("X-MailLab-OpenPGP: signed (PGP/MIME): valid;", r.Out);
        Assert.Contains("key validity alice@uc.test: full", r.Out);

        var detached = await MailLabProcess.Run("pgp", "verify", partFile, "--signature", await Write("part.sig", sig.Out), "--data", data, "--keyserver", "http://127.0.0.1:9/");
        Assert.True(detached.Code == 0, detached.Out + detached.Err);
        await File.AppendAllTextAsync(partFile, "x");
        Assert.Equal(1, (await MailLabProcess.Run("pgp", "verify", partFile, "--signature", Path.Combine(home, "part.sig"), "--data", data, "--keyserver", "http://127.0.0.1:9/")).Code);
    }

    [Fact]
    public async Task Maillab_verifies_an_inline_message_gpg_clear_signed_and_sees_a_changed_line()
    {
        var (data, _) = PgpCliTests.Prepare();
        await Import(data, "bob@bank.test", secret: true, passphrase: "lab-bob");
        var text = Path.Combine(home, "text");
        // Trailing white space and a line starting with a dash: RFC 4880 §7.1's canonical text and dash-escaping.
        await File.WriteAllTextAsync(text, "Hello Alice,   \n- the plan stands.\nBob\n");
        var signed = await Gpg("--passphrase", "lab-bob", "--local-user", "bob@bank.test", "--digest-algo", "SHA256", "--clearsign", "--output", "-", text);
        Assert.True(signed.Code == 0, signed.Err);
        var message = $"From: bob <bob@bank.test>\nTo: alice@uc.test\nSubject: inline\n\n{signed.Out}";
        var file = await Write("inline.eml", message);
        var r = await MailLabProcess.Run("pgp", "verify", file, "--as", "alice@uc.test", "--data", data, "--keyserver", "http://127.0.0.1:9/");
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.Contains("X-MailLab-OpenPGP: signed (inline PGP): valid;", r.Out);
        var changed = await Write("changed.eml", message.Replace("the plan stands", "the plan changed"));
        var bad = await MailLabProcess.Run("pgp", "verify", changed, "--data", data, "--keyserver", "http://127.0.0.1:9/");
        Assert.Equal(1, bad.Code);
        Assert.Contains("signed (inline PGP): invalid", bad.Out);
    }

    private async Task<string> Write(string name, string text)
    {
        var path = Path.Combine(home, name);
        await File.WriteAllTextAsync(path, text);
        return path;
    }

    public void Dispose()
    {
        ExternalTool.Run("gpgconf", ["--homedir", home, "--kill", "all"]).GetAwaiter().GetResult();
        try { Directory.Delete(home, recursive: true); } catch (IOException) { }
    }
}
