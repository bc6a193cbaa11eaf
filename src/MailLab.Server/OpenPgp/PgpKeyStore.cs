using System.Text;
using MailLab.Server.Lab;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace MailLab.Server.OpenPgp;

/// <summary>
/// The lab users' OpenPGP keys in <c>&lt;data&gt;/pgp</c>: <c>public/ADDRESS.asc</c> (the transferable public
/// key with its certifications, RFC 4880 §11.1, ASCII armor §6.2), <c>secret/ADDRESS.asc</c> (0600, protected
/// by the user's lab password) and <c>ownertrust/ADDRESS.txt</c> (whom that user trusts as an introducer).
/// Keys are v4 Ed25519 (EdDSA, algorithm 22) for signing and certifying plus a Cv25519 (ECDH, 18) encryption
/// subkey: instant to make, small enough for an OPENPGPKEY record, read by gpg 2.2 and BouncyCastle.
/// </summary>
public sealed class PgpKeyStore
{
    /// <summary>The store of the data directory <paramref name="dataDirectory"/>.</summary>
    public PgpKeyStore(string dataDirectory) => Root = Path.Combine(dataDirectory, "pgp");

    /// <summary><c>&lt;data&gt;/pgp</c>.</summary>
    public string Root { get; }

    /// <summary>The user's public key file.</summary>
    public string PublicFile(string address) => Path.Combine(Root, "public", FileName(address) + ".asc");

    /// <summary>The user's secret key file (0600).</summary>
    public string SecretFile(string address) => Path.Combine(Root, "secret", FileName(address) + ".asc");

    /// <summary>The user's ownertrust file: lines <c>ADDRESS full|marginal|none</c>.</summary>
    public string TrustFile(string address) => Path.Combine(Root, "ownertrust", FileName(address) + ".txt");

    /// <summary>The user ID of a lab user's key: <c>local &lt;address&gt;</c> (RFC 4880 §5.11, by convention RFC 2822 name-addr).</summary>
    public static string UserId(string address) => $"{address[..address.IndexOf('@')]} <{address}>";

    /// <summary>
    /// Makes a key for every lab user who has none (the default web of trust among the new ones: alice
    /// certified carol, carol certified bob, and alice trusts carol as a full introducer); returns the
    /// addresses that got a key.
    /// </summary>
    public IReadOnlyList<string> EnsureUserKeys(LabDefinition lab)
    {
        var made = new List<string>();
        var users = lab.Sites.SelectMany(s => s.Users).ToList();
        foreach (var u in users.Where(u => !File.Exists(PublicFile(u.Address))))
        {
            Generate(u.Address, u.Password);
            made.Add(u.Address);
        }
        if (made.Count > 0) DefaultWeb(users, made);
        return made;
    }

    // The lesson's small web (issue 15 §2), only among users that exist and only on keys made now.
    private void DefaultWeb(List<UserDefinition> users, List<string> made)
    {
        UserDefinition? Find(string local) => users.FirstOrDefault(u => u.Address.StartsWith(local + "@", StringComparison.OrdinalIgnoreCase));
        var alice = Find("alice");
        var carol = Find("carol");
        var bob = Find("bob");
        if (alice is not null && carol is not null && made.Contains(carol.Address))
        {
            Certify(alice.Address, alice.Password, carol.Address);
            if (made.Contains(alice.Address)) File.AppendAllText(TrustFile(alice.Address), $"{carol.Address} full\n");
        }
        if (carol is not null && bob is not null && made.Contains(bob.Address)) Certify(carol.Address, carol.Password, bob.Address);
    }

    /// <summary>Makes and stores a new key for <paramref name="address"/> (replacing any), secret key protected by <paramref name="password"/>.</summary>
    public PgpPublicKeyRing Generate(string address, string password)
    {
        var (secret, pub) = NewKey(UserId(address), password);
        Directory.CreateDirectory(Path.Combine(Root, "ownertrust"));
        var trust = TrustFile(address);
        if (!File.Exists(trust)) File.WriteAllText(trust, $"# whom {address} trusts to certify other keys: ADDRESS full|marginal|none (own key: ultimate)\n");
        WriteSecret(address, secret);
        WritePublic(address, pub);
        return pub;
    }

    /// <summary>A new Ed25519 primary key (certify, sign) with a Cv25519 subkey (encrypt) and a positive self-certification (0x13).</summary>
    public static (PgpSecretKeyRing Secret, PgpPublicKeyRing Public) NewKey(string userId, string password)
    {
        var random = new SecureRandom();
        var now = DateTime.UtcNow;
        var ed = new Ed25519KeyPairGenerator();
        ed.Init(new Ed25519KeyGenerationParameters(random));
        var primary = new PgpKeyPair(PublicKeyAlgorithmTag.EdDsa_Legacy, ed.GenerateKeyPair(), now);
        var x = new X25519KeyPairGenerator();
        x.Init(new X25519KeyGenerationParameters(random));
        var sub = new PgpKeyPair(PublicKeyAlgorithmTag.ECDH, x.GenerateKeyPair(), now);
        var hashed = new PgpSignatureSubpacketGenerator();
        hashed.SetKeyFlags(false, PgpKeyFlags.CanCertify | PgpKeyFlags.CanSign);
        hashed.SetPreferredHashAlgorithms(false, [(int)HashAlgorithmTag.Sha256, (int)HashAlgorithmTag.Sha512]);
        hashed.SetPreferredSymmetricAlgorithms(false, [(int)SymmetricKeyAlgorithmTag.Aes256, (int)SymmetricKeyAlgorithmTag.Aes128]);
        hashed.SetFeature(false, Org.BouncyCastle.Bcpg.Sig.Features.FEATURE_MODIFICATION_DETECTION);
        var subHashed = new PgpSignatureSubpacketGenerator();
        subHashed.SetKeyFlags(false, PgpKeyFlags.CanEncryptCommunications | PgpKeyFlags.CanEncryptStorage);
        var gen = new PgpKeyRingGenerator(PgpSignature.PositiveCertification, primary, userId, SymmetricKeyAlgorithmTag.Aes256,
            HashAlgorithmTag.Sha256, password.ToCharArray(), true, hashed.Generate(), null, random);
        gen.AddSubKey(sub, subHashed.Generate(), null, HashAlgorithmTag.Sha256);
        return (gen.GenerateSecretKeyRing(), gen.GeneratePublicKeyRing());
    }

    /// <summary>
    /// A generic certification (0x10, what <c>gpg --sign-key</c> makes) by <paramref name="signer"/>'s key on
    /// every user ID of <paramref name="target"/>'s key, written into the target's public key file.
    /// </summary>
    public PgpPublicKeyRing Certify(string signer, string signerPassword, string target)
    {
        var secret = LoadSecret(signer) ?? throw new PgpStoreException($"no OpenPGP secret key for {signer} in {SecretFile(signer)}");
        var ring = LoadPublic(target) ?? throw new PgpStoreException($"no OpenPGP public key for {target} in {PublicFile(target)}");
        var certified = Certify(secret, signerPassword, ring);
        WritePublic(target, certified);
        return certified;
    }

    /// <summary>The ring with a generic certification (0x10) by <paramref name="secret"/>'s primary key on each of its user IDs.</summary>
    public static PgpPublicKeyRing Certify(PgpSecretKeyRing secret, string password, PgpPublicKeyRing ring)
    {
        var signingKey = secret.GetSecretKey();
        PgpPrivateKey priv;
        try
        {
            priv = signingKey.ExtractPrivateKey(password.ToCharArray());
        }
        catch (PgpException ex)
        {
            throw new PgpStoreException($"the password does not unlock the secret key {PgpText.KeyId(signingKey.KeyId)}: {ex.Message}");
        }
        var key = ring.GetPublicKey();
        foreach (var uid in key.GetUserIds().ToList())
        {
            var gen = new PgpSignatureGenerator(signingKey.PublicKey.Algorithm, HashAlgorithmTag.Sha256);
            gen.InitSign(PgpSignature.DefaultCertification, priv);
            var sub = new PgpSignatureSubpacketGenerator();
            sub.SetSignatureCreationTime(false, DateTime.UtcNow);
            sub.SetIssuerFingerprint(false, signingKey.PublicKey);
            gen.SetHashedSubpackets(sub.Generate());
            var unhashed = new PgpSignatureSubpacketGenerator();
            unhashed.SetIssuerKeyID(false, signingKey.KeyId);
            gen.SetUnhashedSubpackets(unhashed.Generate());
            key = PgpPublicKey.AddCertification(key, uid, gen.GenerateCertification(uid, key));
        }
        return PgpPublicKeyRing.InsertPublicKey(ring, key);
    }

    private readonly Lock keyringLock = new();
    private (string Stamp, PgpKeyring Keyring)? keyring;
    private (DateTime Public, DateTime Trust, long Checked)? quick;

    /// <summary>How long a keyring is used without looking at each file again (the folders' own times are checked every time).</summary>
    public static readonly TimeSpan RecheckFiles = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The local keyring now: read again only when a public key or ownertrust file changed (name, size or time).
    /// A file added, removed or replaced (as this store writes them) is seen at once, through its folder's time;
    /// a file edited in place within <see cref="RecheckFiles"/>.
    /// </summary>
    public PgpKeyring Keyring()
    {
        var folders = (Directory.GetLastWriteTimeUtc(Path.Combine(Root, "public")), Directory.GetLastWriteTimeUtc(Path.Combine(Root, "ownertrust")));
        lock (keyringLock)
        {
            if (keyring is { } cached && quick is { } q && (q.Public, q.Trust) == folders
                && System.Diagnostics.Stopwatch.GetElapsedTime(q.Checked) < RecheckFiles) return cached.Keyring;
        }
        var files = Files("public", "*.asc").Concat(Files("ownertrust", "*.txt")).ToList();
        var stamp = string.Join("|", files.Select(f => $"{f.FullName}:{f.Length}:{f.LastWriteTimeUtc.Ticks}"));
        lock (keyringLock)
        {
            quick = (folders.Item1, folders.Item2, System.Diagnostics.Stopwatch.GetTimestamp());
            if (keyring is { } k && k.Stamp == stamp) return k.Keyring;
            var problems = new List<string>();
            var rings = new Dictionary<string, PgpPublicKeyRing>();
            foreach (var f in files.Where(f => f.Extension == ".asc"))
            {
                try
                {
                    if (ReadPublicRings(File.ReadAllBytes(f.FullName)).FirstOrDefault() is { } ring) rings[Path.GetFileNameWithoutExtension(f.Name)] = ring;
                }
                catch (Exception ex) when (ex is IOException or PgpException or UnauthorizedAccessException)
                {
                    problems.Add($"{f.FullName}: {ex.Message}");
                }
            }
            string? FingerprintOf(string who) => who.Contains('@')
                ? rings.TryGetValue(who.ToLowerInvariant(), out var r) ? PgpText.Fingerprint(r.GetPublicKey()) : null
                : who.Length == 40 && who.All(Uri.IsHexDigit) ? who.ToUpperInvariant() : null;
            var trust = new Dictionary<string, IReadOnlyDictionary<string, OwnerTrust>>();
            foreach (var f in files.Where(f => f.Extension == ".txt"))
            {
                try
                {
                    trust[Path.GetFileNameWithoutExtension(f.Name)] = PgpKeyring.ReadTrust(File.ReadAllText(f.FullName), FingerprintOf, problems, f.FullName);
                }
                catch (IOException ex)
                {
                    problems.Add($"{f.FullName}: {ex.Message}");
                }
            }
            var made = new PgpKeyring(rings, trust, problems);
            keyring = (stamp, made);
            return made;
        }
    }

    private IEnumerable<FileInfo> Files(string folder, string pattern)
    {
        var dir = new DirectoryInfo(Path.Combine(Root, folder));
        return dir.Exists ? dir.EnumerateFiles(pattern).OrderBy(f => f.Name, StringComparer.Ordinal) : [];
    }

    /// <summary>The user's public key ring, or null when there is none.</summary>
    public PgpPublicKeyRing? LoadPublic(string address)
    {
        var file = PublicFile(address);
        return File.Exists(file) ? ReadPublicRings(File.ReadAllBytes(file)).FirstOrDefault() : null;
    }

    /// <summary>The user's secret key ring, or null when there is none.</summary>
    public PgpSecretKeyRing? LoadSecret(string address)
    {
        var file = SecretFile(address);
        if (!File.Exists(file)) return null;
        using var input = PgpUtilities.GetDecoderStream(File.OpenRead(file));
        return new PgpSecretKeyRingBundle(input).GetKeyRings().FirstOrDefault();
    }

    /// <summary>Every public key ring in armored or binary <paramref name="data"/>; throws <see cref="PgpException"/> or <see cref="IOException"/> on a malformed one.</summary>
    public static IReadOnlyList<PgpPublicKeyRing> ReadPublicRings(byte[] data)
    {
        using var input = PgpUtilities.GetDecoderStream(new MemoryStream(data));
        return new PgpPublicKeyRingBundle(input).GetKeyRings().ToList();
    }

    /// <summary>The ASCII-armored form of a public key ring (what <c>gpg --import</c> and Thunderbird read).</summary>
    public static string Armor(PgpPublicKeyRing ring) => Armor(ring.GetEncoded());

    /// <summary>The ASCII-armored form of a secret key ring.</summary>
    public static string Armor(PgpSecretKeyRing ring) => Armor(ring.GetEncoded());

    // The armor type line (PUBLIC KEY / PRIVATE KEY BLOCK) is chosen by ArmoredOutputStream from the first packet.
    private static string Armor(byte[] packets)
    {
        using var buffer = new MemoryStream();
        using (var armor = new ArmoredOutputStream(buffer))
        {
            armor.Write(packets);
        }
        // LF line ends, as gpg writes them on Unix.
        return Encoding.ASCII.GetString(buffer.ToArray()).Replace("\r\n", "\n");
    }

    private void WritePublic(string address, PgpPublicKeyRing ring) => WriteAtomically(PublicFile(address), Armor(ring), secret: false);

    private void WriteSecret(string address, PgpSecretKeyRing ring) => WriteAtomically(SecretFile(address), Armor(ring), secret: true);

    private static void WriteAtomically(string file, string text, bool secret)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var tmp = file + ".tmp";
        // The secret key is 0600 from its first byte, like the CA's and DKIM's keys; never written through a planted link.
        using (var stream = Store.DurableFile.CreateFresh(tmp, secret))
        {
            stream.Write(Encoding.ASCII.GetBytes(text));
        }
        File.Move(tmp, file, overwrite: true);
    }

    // Addresses come from the lab file (validated there) or the command line: no path separators.
    private static string FileName(string address)
    {
        var a = address.Trim().ToLowerInvariant();
        if (a.Length == 0 || a.IndexOfAny(['/', '\\', '\0']) >= 0 || a.StartsWith('.') || !a.Contains('@'))
        {
            throw new PgpStoreException($"'{address}' is not a lab user's address");
        }
        return a;
    }
}

/// <summary>A key the store cannot find, read or unlock.</summary>
public sealed class PgpStoreException(string message) : Exception(message);

/// <summary>How keys and fingerprints are written in the trace and by the CLI.</summary>
public static class PgpText
{
    /// <summary>A key ID as gpg prints it in long form: 16 upper-case hex digits.</summary>
    public static string KeyId(long keyId) => keyId.ToString("X16");

    /// <summary>A fingerprint as 40 upper-case hex digits.</summary>
    public static string Fingerprint(PgpPublicKey key) => Convert.ToHexString(key.GetFingerprint());

    /// <summary>The name of a public-key algorithm (RFC 4880 §9.1, RFC 9580 §9.1).</summary>
    public static string Algorithm(PublicKeyAlgorithmTag tag) => tag switch
    {
        PublicKeyAlgorithmTag.RsaGeneral or PublicKeyAlgorithmTag.RsaSign or PublicKeyAlgorithmTag.RsaEncrypt => "RSA",
        PublicKeyAlgorithmTag.Dsa => "DSA",
        PublicKeyAlgorithmTag.ElGamalEncrypt or PublicKeyAlgorithmTag.ElGamalGeneral => "ElGamal",
        PublicKeyAlgorithmTag.ECDH => "ECDH",
        PublicKeyAlgorithmTag.ECDsa => "ECDSA",
        PublicKeyAlgorithmTag.EdDsa_Legacy => "EdDSA (Ed25519)",
        PublicKeyAlgorithmTag.Ed25519 => "Ed25519",
        PublicKeyAlgorithmTag.X25519 => "X25519",
        _ => $"algorithm {(int)tag}",
    };

    /// <summary>The name of a hash algorithm (RFC 4880 §9.4).</summary>
    public static string Hash(HashAlgorithmTag tag) => tag switch
    {
        HashAlgorithmTag.Sha1 => "SHA-1",
        HashAlgorithmTag.Sha256 => "SHA-256",
        HashAlgorithmTag.Sha384 => "SHA-384",
        HashAlgorithmTag.Sha512 => "SHA-512",
        HashAlgorithmTag.Sha224 => "SHA-224",
        _ => $"hash {(int)tag}",
    };
}
