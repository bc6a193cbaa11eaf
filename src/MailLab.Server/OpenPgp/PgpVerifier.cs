using System.Text;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace MailLab.Server.OpenPgp;

/// <summary>A local recipient as the verifier sees them: the address, and the lab password when the MDA may use their secret key.</summary>
public sealed record PgpRecipient(string Address, string? Password);

/// <summary>
/// Verifies an OpenPGP message as the MDA does at delivery: PGP/MIME signatures (RFC 3156 §5: the first
/// part, headers included, in CRLF form, against the detached signature) and inline clear-signed text
/// (RFC 4880 §7), with the key looked up (<see cref="PgpKeyLookup"/>) and its validity computed in each
/// recipient's web of trust; encrypted messages are opened only as far as their public-key encrypted
/// session key packets (§5.1), unless the MDA holds the recipient's key. It never throws for bad input:
/// a malformed structure is a verdict.
/// </summary>
public static class PgpVerifier
{
    /// <summary>MIME nesting the parser accepts; deeper input is refused by MimeKit and is a malformed verdict.</summary>
    public const int MaxMimeDepth = 32;

    /// <summary>The most plaintext the MDA reads when it decrypts (mda-holds-user-keys).</summary>
    public const int MaxPlaintext = 1 << 20;

    /// <summary>Verifies or recognises <paramref name="message"/> (the whole message, CRLF) of kind <paramref name="kind"/>.</summary>
    public static async Task<PgpVerification> VerifyAsync(byte[] message, PgpMessageKind kind, IReadOnlyList<PgpRecipient> recipients,
        PgpKeyLookup lookup, CancellationToken ct)
    {
        var steps = new List<string>();
        string? from = null;
        try
        {
            var options = new ParserOptions { MaxMimeDepth = MaxMimeDepth };
            // In memory: the synchronous parser does no I/O and is the faster one.
            var mime = MimeMessage.Load(options, new MemoryStream(message, writable: false), ct);
            from = mime.From.Mailboxes.FirstOrDefault()?.Address;
            steps.Add($"message: {Describe(kind)}, From {from ?? "(none)"}");
            return kind switch
            {
                PgpMessageKind.MimeSigned => await MimeSignedAsync(mime, from, recipients, lookup, steps, ct),
                PgpMessageKind.MimeEncrypted => MimeEncrypted(mime, recipients, lookup.Store, steps),
                PgpMessageKind.InlineSigned => await InlineSignedAsync(mime, from, recipients, lookup, steps, ct),
                PgpMessageKind.InlineMessage => InlineMessage(mime, recipients, lookup.Store, steps),
                _ => Verdict(kind, "recognised", "no OpenPGP content", steps),
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Packets and MIME from the network: any failure to read them is the sender's, and a verdict.
            steps.Add($"malformed: {ex.GetType().Name}: {ex.Message}");
            return Verdict(kind, "malformed", $"not a readable OpenPGP message ({ex.Message})", steps) with { From = from };
        }
    }

    /// <summary>Verifies a detached signature (armored or binary) over <paramref name="content"/>'s octets.</summary>
    public static async Task<PgpVerification> VerifyDetachedAsync(byte[] content, byte[] signature, IReadOnlyList<PgpRecipient> recipients,
        PgpKeyLookup lookup, CancellationToken ct)
    {
        var steps = new List<string> { $"file: {content.Length} octets, detached signature {signature.Length} octets" };
        try
        {
            var sig = ReadSignature(signature);
            if (sig is null) return Verdict(PgpMessageKind.Detached, "malformed", "no OpenPGP signature packet in the signature file", steps);
            return await CheckAsync(PgpMessageKind.Detached, sig, s => s.Update(content), null, null, recipients, lookup, steps, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            steps.Add($"malformed: {ex.GetType().Name}: {ex.Message}");
            return Verdict(PgpMessageKind.Detached, "malformed", $"not a readable OpenPGP signature ({ex.Message})", steps);
        }
    }

    private static async Task<PgpVerification> MimeSignedAsync(MimeMessage mime, string? from, IReadOnlyList<PgpRecipient> recipients,
        PgpKeyLookup lookup, List<string> steps, CancellationToken ct)
    {
        if (mime.Body is not Multipart { Count: 2 } signed || signed[1] is not MimePart sigPart)
        {
            return Verdict(PgpMessageKind.MimeSigned, "malformed", "multipart/signed needs exactly two parts, the second the signature (RFC 3156 §5)", steps);
        }
        var micalg = signed.ContentType.Parameters["micalg"];
        // RFC 3156 §5: the signed data is the first part with its MIME headers, lines ending in CRLF.
        using var content = new MemoryStream();
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        signed[0].WriteTo(format, content, ct);
        using var sigBytes = new MemoryStream();
        sigPart.Content?.DecodeTo(sigBytes, ct);
        steps.Add($"parts: signed content {content.Length} octets ({signed[0].ContentType.MimeType}), signature part {sigPart.ContentType.MimeType} {sigBytes.Length} octets, micalg={micalg ?? "(none)"}");
        var sig = ReadSignature(sigBytes.ToArray());
        if (sig is null) return Verdict(PgpMessageKind.MimeSigned, "malformed", "the signature part holds no OpenPGP signature packet", steps);
        var data = content.ToArray();
        return await CheckAsync(PgpMessageKind.MimeSigned, sig, s => s.Update(data), micalg, from, recipients, lookup, steps, ct);
    }

    private static async Task<PgpVerification> InlineSignedAsync(MimeMessage mime, string? from, IReadOnlyList<PgpRecipient> recipients,
        PgpKeyLookup lookup, List<string> steps, CancellationToken ct)
    {
        var text = mime.TextBody ?? "";
        int start = text.IndexOf("-----BEGIN PGP SIGNED MESSAGE-----", StringComparison.Ordinal);
        if (start < 0) return Verdict(PgpMessageKind.InlineSigned, "malformed", "no clear-signed block in the text body", steps);
        var (signedText, sig) = ReadClearSigned(Encoding.UTF8.GetBytes(text[start..].Replace("\r\n", "\n").Replace("\n", "\r\n")));
        if (sig is null) return Verdict(PgpMessageKind.InlineSigned, "malformed", "the clear-signed block has no signature packet", steps);
        steps.Add($"clear-signed text: {signedText.Length} octets after dash-unescaping and trailing-space removal (RFC 4880 §7.1)");
        return await CheckAsync(PgpMessageKind.InlineSigned, sig, s => s.Update(signedText), null, from, recipients, lookup, steps, ct);
    }

    // The signature checked against its key, the key's validity for each recipient, the signer against From.
    private static async Task<PgpVerification> CheckAsync(PgpMessageKind kind, PgpSignature sig, Action<PgpSignature> feed, string? micalg,
        string? from, IReadOnlyList<PgpRecipient> recipients, PgpKeyLookup lookup, List<string> steps, CancellationToken ct)
    {
        var keyId = PgpText.KeyId(sig.KeyId);
        var hash = PgpText.Hash(sig.HashAlgorithm);
        var algorithm = PgpText.Algorithm(sig.KeyAlgorithm);
        var issuerFpr = sig.GetHashedSubPackets()?.GetIssuerFingerprint()?.GetFingerprint();
        steps.Add($"signature: type 0x{sig.SignatureType:X2} ({(sig.SignatureType == PgpSignature.CanonicalTextDocument ? "text" : "binary")}), by key 0x{keyId}, {algorithm}, {hash}, made {sig.CreationTime:yyyy-MM-dd HH:mm:ss} UTC");
        if (micalg is not null && !micalg.Equals("pgp-" + hash.Replace("-", "").ToLowerInvariant(), StringComparison.OrdinalIgnoreCase))
        {
            steps.Add($"micalg={micalg} does not name the signature's hash {hash} (RFC 3156 §5 says it must)");
        }
        var found = await lookup.FindAsync(sig.KeyId, issuerFpr, from, ct);
        steps.AddRange(found.Steps.Select(s => "key lookup " + s));
        var result = new PgpVerification
        {
            Kind = kind, Result = "no-key", Reason = $"no key 0x{keyId} in the lab keyring, on the key server or in DNS: the signature cannot be checked",
            Steps = steps, KeyId = keyId, KeySource = found.Source, Hash = hash, Algorithm = algorithm, From = from,
        };
        if (found.Ring is not { } ring)
        {
            steps.Add("result: no-key");
            return result;
        }
        var signingKey = ring.GetPublicKey(sig.KeyId);
        var primary = ring.GetPublicKey();
        var uid = WebOfTrust.UserIds(primary).FirstOrDefault();
        bool ok;
        try
        {
            sig.InitVerify(signingKey);
            feed(sig);
            ok = sig.Verify();
        }
        catch (Exception ex) when (ex is PgpException or ArgumentException or NotSupportedException or InvalidOperationException)
        {
            steps.Add($"verify: {ex.Message}");
            steps.Add($"result: unsupported: the signature cannot be checked ({ex.Message})");
            return result with { Result = "unsupported", Reason = $"the signature cannot be checked: {ex.Message}", Fingerprint = PgpText.Fingerprint(primary), SignerUserId = uid };
        }
        steps.Add(ok ? $"signature: the {hash} hash of the content matches, and the signature verifies with key 0x{keyId} \"{uid}\""
            : $"signature: does NOT verify with key 0x{keyId}: the content was changed after signing, or it was signed by another key");
        bool? fromMatches = from is null ? null : WebOfTrust.UserIds(primary).Any(u => WebOfTrust.HasEmail(u, from));
        if (fromMatches is { } m)
        {
            steps.Add(m ? $"From {from}: a user ID of the key has it" : $"From {from}: NO user ID of the key has it; the signature says nothing about the From header (it covers the body)");
        }
        var validity = new List<string>();
        var keyring = lookup.Store.Keyring();
        foreach (var r in recipients)
        {
            if (keyring.Validity(r.Address, primary, from) is not { } trust)
            {
                validity.Add($"{r.Address}: unknown (no OpenPGP key of their own, so no web of trust)");
                continue;
            }
            validity.Add($"{r.Address}: {trust.Keyword}");
            steps.AddRange(trust.Steps.Select(s => $"web of trust of {r.Address}: {s}"));
        }
        var reason = ok
            ? $"valid signature by 0x{keyId} \"{uid}\" (key from {PgpVerification.SourceName(found.Source)}); key validity {(validity.Count == 0 ? "not computed (no local recipient)" : string.Join(", ", validity))}"
            : "the signature does not match the content (changed after signing?)";
        steps.Add("result: " + reason);
        return result with
        {
            Result = ok ? "valid" : "invalid", Reason = reason, Fingerprint = PgpText.Fingerprint(primary), SignerUserId = uid,
            FromMatches = fromMatches, Validity = validity,
        };
    }

    private static PgpVerification MimeEncrypted(MimeMessage mime, IReadOnlyList<PgpRecipient> recipients, PgpKeyStore keyring, List<string> steps)
    {
        if (mime.Body is not Multipart { Count: 2 } encrypted || encrypted[1] is not MimePart body)
        {
            return Verdict(PgpMessageKind.MimeEncrypted, "malformed", "multipart/encrypted needs two parts, the second the encrypted data (RFC 3156 §4)", steps);
        }
        using var data = new MemoryStream();
        body.Content?.DecodeTo(data);
        return Encrypted(PgpMessageKind.MimeEncrypted, data.ToArray(), recipients, keyring, steps);
    }

    private static PgpVerification InlineMessage(MimeMessage mime, IReadOnlyList<PgpRecipient> recipients, PgpKeyStore keyring, List<string> steps)
    {
        var text = mime.TextBody ?? "";
        int start = text.IndexOf("-----BEGIN PGP MESSAGE-----", StringComparison.Ordinal);
        if (start < 0) return Verdict(PgpMessageKind.InlineMessage, "malformed", "no PGP MESSAGE block in the text body", steps);
        return Encrypted(PgpMessageKind.InlineMessage, Encoding.ASCII.GetBytes(text[start..]), recipients, keyring, steps);
    }

    // RFC 4880 §5.1: each public-key encrypted session key packet names its recipient's key ID; the cipher is inside it.
    private static PgpVerification Encrypted(PgpMessageKind kind, byte[] armored, IReadOnlyList<PgpRecipient> recipients, PgpKeyStore store, List<string> steps)
    {
        var keyring = store.Keyring();
        var factory = new PgpObjectFactory(PgpUtilities.GetDecoderStream(new MemoryStream(armored)));
        object? o;
        while ((o = factory.NextPgpObject()) is PgpMarker) { }
        if (o is not PgpEncryptedDataList list)
        {
            var what = o?.GetType().Name.Replace("Pgp", "") ?? "nothing";
            return Verdict(kind, "recognised", $"an OpenPGP message that is not encrypted (first packet: {what})", steps);
        }
        var forWhom = new List<string>();
        string? algorithm = null;
        var keys = new List<PgpPublicKeyEncryptedData>();
        foreach (var d in list.GetEncryptedDataObjects())
        {
            if (d is PgpPublicKeyEncryptedData pk)
            {
                keys.Add(pk);
                var known = pk.KeyId == 0 ? null : keyring.Find(pk.KeyId);
                // BouncyCastle does not expose the packet's algorithm; the recipient's key, when the lab knows it, names it.
                var alg = known is { } k ? PgpText.Algorithm(k.Ring.GetPublicKey(pk.KeyId).Algorithm) : null;
                algorithm ??= alg;
                var owner = pk.KeyId == 0 ? "hidden recipient (wild-card key ID, RFC 4880 §5.1)"
                    : known is { } f ? f.Address : "a key the lab does not know";
                forWhom.Add($"0x{PgpText.KeyId(pk.KeyId)} ({owner})");
                steps.Add($"session key encrypted to 0x{PgpText.KeyId(pk.KeyId)}{(alg is null ? "" : $" ({alg})")}: {owner}");
            }
            else
            {
                forWhom.Add("a passphrase");
                steps.Add("session key encrypted with a passphrase (symmetric-key encrypted session key, RFC 4880 §5.3)");
            }
        }
        var integrity = list.Count > 0 && list[0].IsIntegrityProtected();
        steps.Add(integrity ? "data: symmetrically encrypted and integrity protected (MDC, RFC 4880 §5.13)" : "data: symmetrically encrypted WITHOUT integrity protection (RFC 4880 §5.7)");
        var result = new PgpVerification
        {
            Kind = kind, Result = "encrypted", Algorithm = algorithm, EncryptedFor = forWhom, Steps = steps,
            Reason = "only the holders of these keys can read it; the server cannot (end-to-end encryption), and the content cipher is inside the encrypted session key",
        };
        foreach (var r in recipients.Where(r => r.Password is not null))
        {
            if (Decrypt(keys, r, store, steps) is { } opened) return result with { Result = "decrypted", Cipher = opened, Reason = $"the MDA decrypted it with {r.Address}'s secret key (mda-holds-user-keys): what end-to-end encryption exists to prevent" };
        }
        steps.Add("result: " + result.Reason);
        return result;
    }

    // mda-holds-user-keys: the MDA unlocks the recipient's secret key with the lab password and reads the plaintext.
    private static string? Decrypt(List<PgpPublicKeyEncryptedData> keys, PgpRecipient r, PgpKeyStore store, List<string> steps)
    {
        if (store.LoadSecret(r.Address) is not { } secret) return null;
        foreach (var pk in keys)
        {
            if (secret.GetSecretKey(pk.KeyId) is not { } sk) continue;
            var priv = sk.ExtractPrivateKey(r.Password!.ToCharArray());
            var cipher = pk.GetSymmetricAlgorithm(priv).ToString().ToUpperInvariant().Replace("AES", "AES-");
            using var clear = pk.GetDataStream(priv);
            var inner = new PgpObjectFactory(clear).NextPgpObject();
            if (inner is PgpCompressedData compressed) inner = new PgpObjectFactory(compressed.GetDataStream()).NextPgpObject();
            if (inner is PgpOnePassSignatureList) inner = null;
            var plain = new byte[MaxPlaintext];
            int n = 0;
            if (inner is PgpLiteralData literal)
            {
                using var s = literal.GetDataStream();
                int got;
                while (n < plain.Length && (got = s.Read(plain, n, plain.Length - n)) > 0) n += got;
            }
            var first = Encoding.UTF8.GetString(plain, 0, Math.Min(n, 200)).Split('\n')[0].TrimEnd('\r');
            steps.Add($"decrypted with {r.Address}'s secret key 0x{PgpText.KeyId(pk.KeyId)} (mda-holds-user-keys): cipher {cipher}, {n} octets of plaintext, first line \"{first}\"");
            return cipher;
        }
        return null;
    }

    /// <summary>The first signature in armored or binary signature data (a signature packet list, possibly compressed); null when none.</summary>
    public static PgpSignature? ReadSignature(byte[] data)
    {
        var factory = new PgpObjectFactory(PgpUtilities.GetDecoderStream(new MemoryStream(data)));
        var o = factory.NextPgpObject();
        if (o is PgpCompressedData c) o = new PgpObjectFactory(c.GetDataStream()).NextPgpObject();
        return o is PgpSignatureList { Count: > 0 } list ? list[0] : null;
    }

    /// <summary>
    /// The signed text of a clear-signed block (RFC 4880 §7.1: dash-escapes removed, trailing white space cut,
    /// CRLF between lines, none after the last) and its signature.
    /// </summary>
    public static (byte[] Text, PgpSignature? Signature) ReadClearSigned(byte[] block)
    {
        // Read by hand: the armor's line rules are few, and the signed text must be exactly what §7.1 says.
        var lines = Encoding.UTF8.GetString(block).Replace("\r\n", "\n").Split('\n');
        int i = Array.FindIndex(lines, l => l.TrimEnd() == "-----BEGIN PGP SIGNED MESSAGE-----");
        if (i < 0) return ([], null);
        i++;
        while (i < lines.Length && lines[i].Trim().Length > 0) i++; // armor headers (Hash: ...)
        i++;
        var text = new List<string>();
        for (; i < lines.Length && lines[i].TrimEnd() != "-----BEGIN PGP SIGNATURE-----"; i++)
        {
            var line = lines[i].StartsWith("- ", StringComparison.Ordinal) ? lines[i][2..] : lines[i];
            text.Add(line.TrimEnd(' ', '\t', '\r'));
        }
        if (i >= lines.Length) return ([], null);
        var signature = string.Join("\n", lines[i..]);
        return (Encoding.UTF8.GetBytes(string.Join("\r\n", text)), ReadSignature(Encoding.ASCII.GetBytes(signature)));
    }

    private static PgpVerification Verdict(PgpMessageKind kind, string result, string reason, List<string> steps)
    {
        steps.Add($"result: {result}: {reason}");
        return new PgpVerification { Kind = kind, Result = result, Reason = reason, Steps = steps };
    }

    private static string Describe(PgpMessageKind kind) => kind switch
    {
        PgpMessageKind.MimeSigned => "PGP/MIME signed (multipart/signed, RFC 3156 §5)",
        PgpMessageKind.MimeEncrypted => "PGP/MIME encrypted (multipart/encrypted, RFC 3156 §4)",
        PgpMessageKind.InlineSigned => "inline PGP, clear-signed text (RFC 4880 §7)",
        PgpMessageKind.InlineMessage => "inline PGP message block",
        _ => "no OpenPGP",
    };
}
