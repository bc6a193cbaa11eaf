using MailLab.Server.OpenPgp;
using MailLab.Server.Trace;
using MailLab.Tests.Support;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace MailLab.Tests.OpenPgp;

/// <summary>The users' OpenPGP keys made at the first start: files, protection, algorithms, the default web of trust.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // checks Unix file modes of the secret keys
public sealed class PgpKeysTests
{
    [Fact]
    public async Task First_start_makes_an_Ed25519_key_with_a_Cv25519_subkey_per_user_and_keeps_them_after()
    {
        string data;
        string fingerprint;
        await using (var lab = PgpLab.Start())
        {
            data = lab.DataDirectory;
            var keys = PgpLab.Keys(lab);
            foreach (var user in new[] { "alice@uc.test", "carol@uc.test", "bob@bank.test", "mallory@evil.test" })
            {
                var ring = keys.LoadPublic(user)!;
                var primary = ring.GetPublicKey();
                Assert.Equal(PublicKeyAlgorithmTag.EdDsa_Legacy, primary.Algorithm);
                Assert.Contains($"{user.Split('@')[0]} <{user}>", WebOfTrust.UserIds(primary));
                var sub = Assert.Single(ring.GetPublicKeys(), k => !k.IsMasterKey);
                Assert.Equal(PublicKeyAlgorithmTag.ECDH, sub.Algorithm);
                Assert.True(sub.IsEncryptionKey);
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keys.SecretFile(user)));
                Assert.StartsWith("-----BEGIN PGP PRIVATE KEY BLOCK-----", await File.ReadAllTextAsync(keys.SecretFile(user)));
                // Protected by the lab password, and only by it.
                var secret = keys.LoadSecret(user)!.GetSecretKey();
                Assert.NotNull(secret.ExtractPrivateKey(("lab-" + user.Split('@')[0]).ToCharArray()));
                Assert.ThrowsAny<PgpException>(() => secret.ExtractPrivateKey("wrong".ToCharArray()));
            }
            fingerprint = PgpText.Fingerprint(keys.LoadPublic("bob@bank.test")!.GetPublicKey());
            var made = lab.Events(TraceKind.OpenPgpStep).Where(e => (string?)e.Fields["Step"] == "keygen").ToList();
            Assert.Equal(6, made.Count);
            Assert.Contains(made, e => (string?)e.Fields["Fingerprint"] == fingerprint);
        }
        await using (var again = TestLab.FromYaml(PgpLab.Yaml(), data: data).Start(userKeys: true))
        {
            Assert.Equal(fingerprint, PgpText.Fingerprint(PgpLab.Keys(again).LoadPublic("bob@bank.test")!.GetPublicKey()));
            Assert.DoesNotContain(again.Events(TraceKind.OpenPgpStep), e => (string?)e.Fields["Step"] == "keygen");
        }
    }

    [Fact]
    public async Task Without_user_keys_no_key_is_made()
    {
        await using var lab = TestLab.FromYaml(PgpLab.Yaml()).Start(userKeys: false);
        Assert.False(Directory.Exists(Path.Combine(lab.DataDirectory, "pgp")));
    }

    [Fact]
    public async Task The_default_web_has_alice_certifying_carol_and_carol_certifying_bob_and_alice_trusting_carol()
    {
        await using var lab = PgpLab.Start();
        var keys = PgpLab.Keys(lab);
        long Id(string a) => keys.LoadPublic(a)!.GetPublicKey().KeyId;
        IEnumerable<PgpSignature> Certs(string a) => keys.LoadPublic(a)!.GetPublicKey().GetSignatures().Where(s => s.KeyId != Id(a));
        var onCarol = Assert.Single(Certs("carol@uc.test"));
        Assert.Equal(Id("alice@uc.test"), onCarol.KeyId);
        Assert.Equal(PgpSignature.DefaultCertification, onCarol.SignatureType);
        Assert.Equal(Id("carol@uc.test"), Assert.Single(Certs("bob@bank.test")).KeyId);
        Assert.Empty(Certs("alice@uc.test"));
        Assert.Empty(Certs("mallory@evil.test"));
        Assert.Contains("carol@uc.test full", await File.ReadAllTextAsync(keys.TrustFile("alice@uc.test")));
    }
}
