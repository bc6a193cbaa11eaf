using MailLab.Tests.Interop;
using MailLab.Tests.Support;

namespace MailLab.Tests.Smime;

/// <summary>
/// <c>maillab smime</c> run as a process against a data directory (no lab running), checked with the
/// real tools: openssl cms verifies (chain and CRL) and decrypts what maillab makes, maillab verifies what
/// openssl signs, and NSS's pk12util and certutil (what Thunderbird uses) import the PKCS#12 export and the root.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // checks Unix file modes and runs Debian tools
public sealed class SmimeCliInteropTests
{
    private readonly string data = TempDir.New("smime-cli");
    private readonly string work = TempDir.New("smime-work");

    private string Certs => Path.Combine(data, "certs");

    private async Task<(int Code, string Out, string Err)> Maillab(params string[] args)
    {
        var r = await MailLabProcess.Run([.. args, "--data", data]);
        return r;
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(work, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The root, the user CA and the current CRL in one PEM file: openssl cms reads CRLs from its -CAfile.</summary>
    private async Task<string> CaFileWithCrl()
    {
        var chain = Path.Combine(work, $"lab-cas-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(chain, await File.ReadAllTextAsync(Path.Combine(Certs, "ca.crt")) + "\n"
            + await File.ReadAllTextAsync(Path.Combine(Certs, "user-ca.crt")) + "\n" + await File.ReadAllTextAsync(await CrlPem()));
        return chain;
    }

    private async Task<string> CrlPem()
    {
        var pem = Path.Combine(work, $"crl-{Guid.NewGuid():N}.pem");
        var r = await ExternalTool.Run("openssl", ["crl", "-inform", "DER", "-in", Path.Combine(Certs, "user-ca.crl"), "-out", pem]);
        Assert.True(r.Code == 0, r.Err);
        return pem;
    }

    [Fact]
    public async Task Openssl_verifies_what_maillab_signs_until_the_revoke_and_decrypts_what_it_encrypts_and_maillab_verifies_what_openssl_signs()
    {
        MailLabProcess.SeedCa(data, userPki: false); // these tests watch the certificates being issued
        var issued = await Maillab("smime", "issue", "alice@uc.test");
        Assert.True(issued.Code == 0, issued.Err);
        Assert.Contains("issued S/MIME certificate of alice@uc.test", issued.Out);
        Assert.Equal(0, (await Maillab("smime", "issue", "bob@bank.test")).Code);
        Assert.Contains("kept the current", (await Maillab("smime", "issue", "alice@uc.test")).Out);

        var message = Write("note.eml", "From: alice@uc.test\nTo: bob@bank.test\nSubject: figures\n\nThe figures are attached.\n");
        var signed = Path.Combine(work, "signed.eml");
        var sign = await Maillab("smime", "sign", message, "--as", "alice@uc.test", "--out", signed);
        Assert.True(sign.Code == 0, sign.Err);

        var verify = await Maillab("smime", "verify", signed);
        Assert.True(verify.Code == 0, verify.Out + verify.Err);
        Assert.Contains("content-hash", verify.Out);
        Assert.Contains("=> multipart/signed: valid", verify.Out);

        var ok = await ExternalTool.Run("openssl", ["cms", "-verify", "-in", signed, "-CAfile", await CaFileWithCrl(), "-crl_check", "-out", Path.Combine(work, "out.txt")]);
        Assert.True(ok.Code == 0, ok.Err);
        Assert.Contains("The figures are attached.", await File.ReadAllTextAsync(Path.Combine(work, "out.txt")));

        // Encrypt for bob; openssl decrypts with bob's PEM export.
        var encrypted = Path.Combine(work, "encrypted.eml");
        Assert.Equal(0, (await Maillab("smime", "encrypt", message, "--to", "bob@bank.test", "--out", encrypted)).Code);
        var bobPem = Path.Combine(work, "bob.pem");
        var export = await Maillab("smime", "export", "bob@bank.test", "--pem", "--out", bobPem);
        Assert.True(export.Code == 0, export.Err);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(bobPem));
        var decrypted = await ExternalTool.Run("openssl", ["cms", "-decrypt", "-in", encrypted, "-recip", bobPem, "-inkey", bobPem]);
        Assert.True(decrypted.Code == 0, decrypted.Err);
        Assert.Contains("The figures are attached.", decrypted.Out);
        var seen = await Maillab("smime", "verify", encrypted);
        Assert.Equal(3, seen.Code);
        Assert.Contains("=> enveloped-data: encrypted", seen.Out);

        // openssl signs as bob; maillab verifies.
        var body = Write("body.txt", "Signed by openssl.\n");
        var osSigned = Path.Combine(work, "openssl-signed.eml");
        var osSign = await ExternalTool.Run("openssl", ["cms", "-sign", "-in", body, "-text", "-signer", bobPem, "-inkey", bobPem,
            "-certfile", Path.Combine(Certs, "user-ca.crt"), "-from", "bob@bank.test", "-to", "alice@uc.test", "-subject", "from openssl", "-out", osSigned]);
        Assert.True(osSign.Code == 0, osSign.Err);
        var osVerify = await Maillab("smime", "verify", osSigned);
        Assert.True(osVerify.Code == 0, osVerify.Out + osVerify.Err);
        Assert.Contains("=> multipart/signed: valid", osVerify.Out);

        // Revoke alice: both openssl (with the new CRL) and maillab refuse her signature.
        var revoke = await Maillab("smime", "revoke", "alice@uc.test", "--reason", "keyCompromise");
        Assert.True(revoke.Code == 0, revoke.Err);
        var refused = await ExternalTool.Run("openssl", ["cms", "-verify", "-in", signed, "-CAfile", await CaFileWithCrl(), "-crl_check", "-out", "/dev/null"]);
        Assert.NotEqual(0, refused.Code);
        Assert.Contains("certificate revoked", refused.Err);
        var after = await Maillab("smime", "verify", signed);
        Assert.Equal(3, after.Code);
        Assert.Contains("=> multipart/signed: revoked", after.Out);
        Assert.Contains("keyCompromise", after.Out);
    }

    [Fact]
    public async Task The_pkcs12_export_imports_into_an_nss_database_with_pk12util_and_the_root_with_certutil()
    {
        MailLabProcess.SeedCa(data, userPki: false); // these tests watch the certificates being issued
        Assert.Equal(0, (await Maillab("smime", "issue", "bob@bank.test")).Code);
        var p12 = Path.Combine(work, "bob.p12");
        var export = await Maillab("smime", "export", "bob@bank.test", "--out", p12);
        Assert.True(export.Code == 0, export.Err);
        Assert.Contains("lab password", export.Out);

        var db = Directory.CreateDirectory(Path.Combine(work, "nssdb")).FullName;
        var init = await ExternalTool.Run("certutil", ["-N", "-d", $"sql:{db}", "--empty-password"]);
        Assert.True(init.Code == 0, init.Err);
        var wrong = await ExternalTool.Run("pk12util", ["-i", p12, "-d", $"sql:{db}", "-W", "not-the-password"]);
        Assert.NotEqual(0, wrong.Code);
        var import = await ExternalTool.Run("pk12util", ["-i", p12, "-d", $"sql:{db}", "-W", "lab-bob"]);
        Assert.True(import.Code == 0, import.Out + import.Err);
        var root = await ExternalTool.Run("certutil", ["-A", "-d", $"sql:{db}", "-n", "MailLab Lab Root CA", "-t", "C,C,C", "-i", Path.Combine(Certs, "ca.crt")]);
        Assert.True(root.Code == 0, root.Err);
        var keys = await ExternalTool.Run("certutil", ["-K", "-d", $"sql:{db}"]);
        Assert.Contains("bob@bank.test", keys.Out);
        var list = await ExternalTool.Run("certutil", ["-L", "-d", $"sql:{db}"]);
        Assert.Contains("MailLab Lab Root CA", list.Out);
        Assert.Contains("MailLab User CA", list.Out);
    }

    [Fact]
    public async Task Unknown_users_and_missing_certificates_are_clear_errors()
    {
        MailLabProcess.SeedCa(data, userPki: false); // these tests watch the certificates being issued
        var unknown = await Maillab("smime", "export", "nobody@uc.test");
        Assert.Equal(2, unknown.Code);
        Assert.Contains("not a user of lab", unknown.Err);
        var none = await Maillab("smime", "revoke", "carol@uc.test");
        Assert.Equal(1, none.Code);
        Assert.Contains("no S/MIME certificate", none.Err);
    }
}
