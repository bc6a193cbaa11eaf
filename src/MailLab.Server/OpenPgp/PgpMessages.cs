using System.Text;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Security;

namespace MailLab.Server.OpenPgp;

/// <summary>
/// Makes OpenPGP messages as a mail client does: a detached signature, a PGP/MIME signed message (RFC 3156 §5)
/// and a PGP/MIME encrypted one (§4), from a message file. Used by <c>maillab pgp sign|encrypt</c> and the tests.
/// </summary>
public static class PgpMessages
{
    /// <summary>An armored detached signature (binary document, 0x00) of <paramref name="data"/> by the ring's primary key.</summary>
    public static string DetachedSignature(byte[] data, PgpSecretKeyRing secret, string password)
    {
        var key = secret.GetSecretKey();
        var priv = Unlock(key, password);
        var gen = new PgpSignatureGenerator(key.PublicKey.Algorithm, HashAlgorithmTag.Sha256);
        gen.InitSign(PgpSignature.BinaryDocument, priv);
        var hashed = new PgpSignatureSubpacketGenerator();
        hashed.SetSignatureCreationTime(false, DateTime.UtcNow);
        hashed.SetIssuerFingerprint(false, key.PublicKey);
        gen.SetHashedSubpackets(hashed.Generate());
        var unhashed = new PgpSignatureSubpacketGenerator();
        unhashed.SetIssuerKeyID(false, key.KeyId);
        gen.SetUnhashedSubpackets(unhashed.Generate());
        gen.Update(data);
        return Armor(gen.Generate().GetEncoded());
    }

    /// <summary>
    /// The message signed as PGP/MIME: its Content-* fields and body become the first part (the signed
    /// entity, CRLF), the detached signature the second; the other header fields stay on top.
    /// </summary>
    public static byte[] SignMime(byte[] message, PgpSecretKeyRing secret, string password)
    {
        var (top, entity) = Split(message);
        var signature = DetachedSignature(entity, secret, password);
        var boundary = "=-signed-" + Guid.NewGuid().ToString("N")[..16];
        var b = new StringBuilder();
        b.Append(top).Append("MIME-Version: 1.0\r\n")
            .Append($"Content-Type: multipart/signed; micalg=pgp-sha256;\r\n\tprotocol=\"application/pgp-signature\"; boundary=\"{boundary}\"\r\n\r\n")
            .Append("This is an OpenPGP/MIME signed message (RFC 3156).\r\n")
            .Append($"--{boundary}\r\n");
        var head = Encoding.UTF8.GetBytes(b.ToString());
        var tail = Encoding.UTF8.GetBytes($"\r\n--{boundary}\r\nContent-Type: application/pgp-signature; name=\"signature.asc\"\r\n" +
            $"Content-Description: OpenPGP digital signature\r\nContent-Disposition: attachment; filename=\"signature.asc\"\r\n\r\n" +
            signature.Replace("\r\n", "\n").Replace("\n", "\r\n") + $"\r\n--{boundary}--\r\n");
        return [.. head, .. entity, .. tail];
    }

    /// <summary>The message encrypted as PGP/MIME to the encryption keys of <paramref name="recipients"/> (AES-256, integrity protected).</summary>
    public static byte[] EncryptMime(byte[] message, IEnumerable<PgpPublicKeyRing> recipients)
    {
        var (top, entity) = Split(message);
        var armored = Encrypt(entity, recipients, "message.eml");
        var boundary = "=-encrypted-" + Guid.NewGuid().ToString("N")[..16];
        var text = top + "MIME-Version: 1.0\r\n" +
            $"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";\r\n\tboundary=\"{boundary}\"\r\n\r\n" +
            "This is an OpenPGP/MIME encrypted message (RFC 3156).\r\n" +
            $"--{boundary}\r\nContent-Type: application/pgp-encrypted\r\nContent-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n" +
            $"--{boundary}\r\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\r\nContent-Description: OpenPGP encrypted message\r\n\r\n" +
            armored.Replace("\r\n", "\n").Replace("\n", "\r\n") + $"\r\n--{boundary}--\r\n";
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>An armored OpenPGP message of <paramref name="data"/> encrypted to each recipient's encryption subkey.</summary>
    public static string Encrypt(byte[] data, IEnumerable<PgpPublicKeyRing> recipients, string fileName)
    {
        var gen = new PgpEncryptedDataGenerator(SymmetricKeyAlgorithmTag.Aes256, true, new SecureRandom());
        foreach (var ring in recipients)
        {
            var key = ring.GetPublicKeys().FirstOrDefault(k => k.IsEncryptionKey && !k.IsMasterKey)
                ?? ring.GetPublicKeys().FirstOrDefault(k => k.IsEncryptionKey)
                ?? throw new PgpStoreException($"the key 0x{PgpText.KeyId(ring.GetPublicKey().KeyId)} has no encryption key");
            gen.AddMethod(key);
        }
        using var buffer = new MemoryStream();
        using (var armor = new ArmoredOutputStream(buffer))
        {
            using var encrypted = gen.Open(armor, new byte[1 << 16]);
            var literal = new PgpLiteralDataGenerator();
            using var output = literal.Open(encrypted, PgpLiteralData.Binary, fileName, data.Length, DateTime.UtcNow);
            output.Write(data);
        }
        return Encoding.ASCII.GetString(buffer.ToArray()).Replace("\r\n", "\n");
    }

    /// <summary>The private key of <paramref name="key"/>; a wrong password is a <see cref="PgpStoreException"/>.</summary>
    public static PgpPrivateKey Unlock(PgpSecretKey key, string password)
    {
        try
        {
            return key.ExtractPrivateKey(password.ToCharArray());
        }
        catch (PgpException ex)
        {
            throw new PgpStoreException($"the password does not unlock the secret key 0x{PgpText.KeyId(key.KeyId)}: {ex.Message}");
        }
    }

    private static string Armor(byte[] packets)
    {
        using var buffer = new MemoryStream();
        using (var armor = new ArmoredOutputStream(buffer)) armor.Write(packets);
        return Encoding.ASCII.GetString(buffer.ToArray()).Replace("\r\n", "\n");
    }

    /// <summary>
    /// A message file (LF or CRLF) split into its header fields other than MIME-Version and Content-* (CRLF, as
    /// text) and its MIME entity: the Content-* fields (text/plain UTF-8 when it has none), a blank line, the body.
    /// </summary>
    public static (string Top, byte[] Entity) Split(byte[] message)
    {
        var text = Encoding.UTF8.GetString(message).Replace("\r\n", "\n").Replace("\n", "\r\n");
        int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var header = end < 0 ? text + "\r\n" : text[..(end + 2)];
        var body = end < 0 ? "" : text[(end + 4)..];
        var top = new StringBuilder();
        var content = new StringBuilder();
        StringBuilder? current = null;
        foreach (var line in header.Split("\r\n")[..^1])
        {
            if (line.Length > 0 && line[0] is ' ' or '\t')
            {
                current?.Append(line).Append("\r\n");
                continue;
            }
            var name = line.Split(':')[0].Trim();
            current = name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) ? content
                : name.Equals("MIME-Version", StringComparison.OrdinalIgnoreCase) ? null : top;
            current?.Append(line).Append("\r\n");
        }
        if (content.Length == 0)
        {
            content.Append("Content-Type: text/plain; charset=utf-8\r\n");
            if (body.Any(c => c > 127)) content.Append("Content-Transfer-Encoding: 8bit\r\n");
        }
        if (body.Length > 0 && !body.EndsWith("\r\n", StringComparison.Ordinal)) body += "\r\n";
        return (top.ToString(), Encoding.UTF8.GetBytes(content + "\r\n" + body));
    }
}
