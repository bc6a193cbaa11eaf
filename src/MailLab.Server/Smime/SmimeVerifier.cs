using MimeKit;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cms;
using Org.BouncyCastle.Cms;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace MailLab.Server.Smime;

/// <summary>
/// Verifies an S/MIME message (RFC 8551) as the lab sees it at delivery and as <c>maillab smime verify</c>
/// prints it: multipart/signed (RFC 1847, §3.5), application/pkcs7-mime signed-data, enveloped-data
/// (recognised; opened only when the lab holds the users' keys) and compressed-data (RFC 3274). CMS is
/// parsed and the signature checked with BouncyCastle (MimeKit's own CMS layer); the content hash, the
/// chain, revocation and the From comparison are separate steps here because the lesson is which one fails.
/// No I/O besides the CA files; never throws for bad input.
/// </summary>
public sealed class SmimeVerifier
{
    /// <summary>How many S/MIME layers (envelopes opened: decrypted or decompressed content) are looked into, the outer one included.</summary>
    public const int MaxDepth = 3;

    /// <summary>The most octets a compressed-data may expand to (RFC 3274 content is a zlib stream: a bomb otherwise).</summary>
    public const int MaxExpanded = 16 * 1024 * 1024;

    private readonly SmimeTrust trust;
    private readonly Func<string, Org.BouncyCastle.Crypto.AsymmetricKeyParameter?>? userKey;

    /// <summary>
    /// A verifier over the lab PKI in <paramref name="certsDirectory"/>. With <paramref name="userKey"/> (the
    /// mda-holds-user-keys switch) enveloped-data addressed to a lab user is decrypted with that user's key.
    /// </summary>
    public SmimeVerifier(string certsDirectory, Func<string, Org.BouncyCastle.Crypto.AsymmetricKeyParameter?>? userKey = null)
    {
        trust = new SmimeTrust(certsDirectory);
        this.userKey = userKey;
    }

    /// <summary>Whether a top-level Content-Type is S/MIME at all (the stage asks this before any MIME parse).</summary>
    public static bool IsSmime(string? contentType)
    {
        if (contentType is null || !ContentType.TryParse(contentType, out var type)) return false;
        return type.IsMimeType("multipart", "signed") || type.IsMimeType("application", "pkcs7-mime") || type.IsMimeType("application", "x-pkcs7-mime");
    }

    /// <summary>A message file's bare LF line ends made CRLF, S/MIME's canonical form (RFC 8551 §3.1.1).</summary>
    public static byte[] CanonicalLineEnds(byte[] text) => MimeSplit.Crlf(text);

    /// <summary>Verifies the message in <paramref name="message"/> (CRLF line ends), whose header From is <paramref name="headerFrom"/>.</summary>
    public SmimeResult Verify(byte[] message, string? headerFrom) => Verify(message, headerFrom, 0);

    private SmimeResult Verify(byte[] message, string? headerFrom, int depth)
    {
        var steps = new List<SmimeStep>();
        try
        {
            var bodyStart = MimeSplit.BodyStart(message);
            var typeText = MimeSplit.Field(message, 0, bodyStart, "Content-Type");
            if (!IsSmime(typeText) || !ContentType.TryParse(typeText, out var type))
            {
                return new SmimeResult { Structure = "none", Verdict = "none", Reason = $"not S/MIME (Content-Type: {typeText ?? "text/plain"})" };
            }
            if (type.IsMimeType("multipart", "signed"))
            {
                var protocol = type.Parameters["protocol"]?.ToLowerInvariant();
                steps.Add(new("structure", $"multipart/signed (RFC 1847), protocol={protocol}, micalg={type.Parameters["micalg"]}", null));
                if (protocol is not ("application/pkcs7-signature" or "application/x-pkcs7-signature"))
                {
                    return Fail("multipart/signed", "unsupported", $"protocol {protocol ?? "(none)"} is not S/MIME (PGP/MIME is application/pgp-signature)", steps);
                }
                if (MimeSplit.SignedParts(message, bodyStart, type.Boundary) is not { } parts)
                {
                    return Fail("multipart/signed", "malformed", "the two parts of multipart/signed are not where its boundary says", steps);
                }
                var signature = MimeSplit.Decode(parts.Signature);
                steps.Add(new("structure", $"signed content {parts.Content.Length} octets, signature {signature.Length} octets (detached CMS signed-data)", null));
                return Signed("multipart/signed", new CmsSignedData(new CmsProcessableByteArray(parts.Content), signature), parts.Content, headerFrom, steps);
            }
            // application/pkcs7-mime: the whole body is one CMS object; smime-type says which (RFC 8551 §3.2.2).
            var der = MimeSplit.Decode(message);
            var info = ContentInfo.GetInstance(Asn1Object.FromByteArray(der));
            var smimeType = type.Parameters["smime-type"]?.ToLowerInvariant();
            switch (info.ContentType.Id)
            {
                case "1.2.840.113549.1.7.2":
                    steps.Add(new("structure", $"application/pkcs7-mime smime-type={smimeType ?? "(none)"}: CMS signed-data with the content inside (RFC 5652 §5)", null));
                    var sd = new CmsSignedData(der);
                    if (sd.SignedContent is null) return Fail("signed-data", "malformed", "signed-data without encapsulated content", steps);
                    using (var inner = new MemoryStream())
                    {
                        sd.SignedContent.Write(inner);
                        return Signed("signed-data", sd, inner.ToArray(), headerFrom, steps);
                    }
                case "1.2.840.113549.1.7.3":
                    steps.Add(new("structure", $"application/pkcs7-mime smime-type={smimeType ?? "(none)"}: CMS enveloped-data (RFC 5652 §6)", null));
                    return SmimeEnvelope.Enveloped(new CmsEnvelopedData(der), trust, userKey, steps, inner => Inner(inner, headerFrom, depth));
                case "1.2.840.113549.1.9.16.1.9":
                    steps.Add(new("structure", $"application/pkcs7-mime smime-type={smimeType ?? "(none)"}: CMS compressed-data (RFC 3274)", null));
                    return SmimeEnvelope.Compressed(new CmsCompressedData(der), steps, inner => Inner(inner, headerFrom, depth));
                default:
                    return Fail("unknown", "unsupported", $"CMS content type {info.ContentType.Id} is not one S/MIME uses", steps);
            }
        }
        catch (Exception e) when (e is SecurityUtilityException or NotSupportedException)
        {
            return Fail(Structure(steps), "unsupported", $"unknown algorithm: {e.Message}", steps);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not StackOverflowException)
        {
            return Fail(Structure(steps), "malformed", $"the CMS or MIME structure does not parse: {e.GetType().Name}: {e.Message}", steps);
        }
    }

    private SmimeResult? Inner(byte[] inner, string? headerFrom, int depth) =>
        depth + 1 >= MaxDepth ? Fail("unknown", "unsupported", $"more than {MaxDepth} S/MIME layers", []) : Verify(MimeSplit.Crlf(inner), headerFrom, depth + 1);

    private static string Structure(List<SmimeStep> steps) =>
        steps.Count == 0 ? "unknown" : steps[0].Detail.StartsWith("multipart/signed", StringComparison.Ordinal) ? "multipart/signed"
        : steps[0].Detail.Contains("signed-data", StringComparison.Ordinal) ? "signed-data"
        : steps[0].Detail.Contains("enveloped-data", StringComparison.Ordinal) ? "enveloped-data"
        : steps[0].Detail.Contains("compressed-data", StringComparison.Ordinal) ? "compressed-data" : "unknown";

    internal static SmimeResult Fail(string structure, string verdict, string reason, List<SmimeStep> steps)
    {
        steps.Add(new("verdict", reason, false));
        return new SmimeResult { Structure = structure, Verdict = verdict, Reason = reason, Steps = steps };
    }

    private SmimeResult Signed(string structure, CmsSignedData sd, byte[] content, string? headerFrom, List<SmimeStep> steps)
    {
        var signers = sd.GetSignerInfos().GetSigners();
        if (signers.Count == 0) return Fail(structure, "malformed", "signed-data with no SignerInfo", steps);
        var si = signers.First();
        var match = sd.GetCertificates().EnumerateMatches(si.SignerID).FirstOrDefault();
        if (match is null) return Fail(structure, "malformed", "the signer's certificate is not in the message (RFC 8551 §2.4.2 asks senders to include it)", steps);
        var f = trust.Facts(match);
        var signer = f.Addresses.FirstOrDefault();
        steps.Add(new("signer", $"certificate {f.Subject}, serial {f.Serial}, issuer {f.Issuer}, addresses {(f.Addresses.Count == 0 ? "(none)" : string.Join(", ", f.Addresses))}", null));

        // The content hash: RFC 5652 §5.4 message-digest attribute against the content's digest.
        var digestOid = si.DigestAlgorithmID.Algorithm;
        var digestName = SignatureCheck.HashOf(digestOid.Id) is { } known ? known.Name!.ToLowerInvariant()
            : DigestUtilities.GetAlgorithmName(digestOid)?.ToLowerInvariant().Replace("-", "") ?? digestOid.Id;
        // .NET's hashes (OpenSSL) are ten times faster than BouncyCastle's managed ones; others go to BouncyCastle.
        var computed = SignatureCheck.HashOf(digestOid.Id) is { } h
            ? System.Security.Cryptography.CryptographicOperations.HashData(h, content)
            : DigestUtilities.CalculateDigest(digestOid, content);
        var claimedAttr = si.SignedAttributes?[CmsAttributes.MessageDigest];
        byte[]? claimed = claimedAttr is null ? null : Asn1OctetString.GetInstance(claimedAttr.AttrValues[0]).GetOctets();
        bool hashOk = claimed is null || computed.AsSpan().SequenceEqual(claimed);
        steps.Add(new("digest", $"digest algorithm {digestName}", null));
        steps.Add(new("content-hash", claimed is null
            ? $"no signed attributes: the signature covers the content's {digestName} {Convert.ToHexStringLower(computed)[..16]}... directly"
            : $"content {digestName} {Convert.ToHexStringLower(computed)[..16]}..., signed message-digest {Convert.ToHexStringLower(claimed)[..Math.Min(16, claimed.Length * 2)]}...: {(hashOk ? "match" : "DIFFERENT (the content changed after signing)")}", hashOk));
        string? signingTime = null;
        if (si.SignedAttributes?[CmsAttributes.SigningTime] is { } st)
        {
            signingTime = Time.GetInstance(st.AttrValues[0]).ToDateTime().ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ");
        }

        bool sigOk = false;
        if (hashOk)
        {
            sigOk = SignatureCheck.Verify(si, match, f, content);
            steps.Add(new("signature", sigOk ? $"the signer's key verifies the signature over the signed attributes{(signingTime is null ? "" : $" (signing time {signingTime})")}" : "the signature does not verify with the signer certificate's key", sigOk));
        }

        steps.Add(new("chain", $"{string.Join(" > ", f.Chain)}: {f.ChainDetail}{(f.EmailProtection ? "" : "; its extended key usage lacks emailProtection (RFC 8550 §4.4.4)")}", f.Trusted && f.EmailProtection));
        var now = DateTime.UtcNow;
        bool inTime = match.NotBefore.ToUniversalTime() <= now && now <= match.NotAfter.ToUniversalTime();
        var nb = match.NotBefore.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ");
        var na = match.NotAfter.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ");
        steps.Add(new("validity", $"valid from {nb} to {na}: {(inTime ? "current" : now < match.NotBefore.ToUniversalTime() ? "NOT YET valid" : "EXPIRED")}", inTime));

        string revocation;
        string? revokedAt = null;
        if (!f.IssuedByUserCa)
        {
            revocation = "not-checked";
            steps.Add(new("revocation", "not checked: the lab's CRL speaks only for certificates of the lab's user CA", null));
        }
        else if (trust.Crl() is { Entries: { } entries } crl)
        {
            if (entries.TryGetValue(match.SerialNumber, out var r))
            {
                revocation = "revoked";
                revokedAt = r.At.ToString("yyyy-MM-ddTHH:mm:ssZ");
                steps.Add(new("revocation", $"REVOKED on {revokedAt} ({r.Reason}) per the {crl.Detail}", false));
            }
            else
            {
                revocation = "good";
                steps.Add(new("revocation", $"serial {f.Serial} is not on the {crl.Detail}", true));
            }
        }
        else
        {
            revocation = "unknown";
            steps.Add(new("revocation", $"unknown: {trust.Crl().Detail}", null));
        }

        var from = headerFrom?.ToLowerInvariant();
        bool? fromOk = from is null ? null : f.Addresses.Contains(from);
        steps.Add(new("from", from is null ? "no header From to compare" : fromOk == true
            ? $"header From {from} is the signer's address"
            : $"header From {from} is NOT the signer's ({(f.Addresses.Count == 0 ? "the certificate names no address" : string.Join(", ", f.Addresses))}): the signature covers the body, not the header (RFC 8551 §3.1 protects the header only inside message/rfc822)", fromOk));

        var (verdict, reason) =
            !hashOk ? ("tampered", "the content was changed after signing: its hash is not the signed one")
            : !sigOk ? ("tampered", "the signature does not verify with the signer's key")
            : !f.Trusted ? ("untrusted-ca", $"signed by {signer ?? f.Subject}, whose certificate does not chain to the lab root: {f.ChainDetail}")
            : revocation == "revoked" ? ("revoked", $"the signer's certificate was revoked on {revokedAt}")
            : !inTime ? ("expired", $"the signer's certificate is not valid now (valid {nb} to {na})")
            : !f.EmailProtection ? ("untrusted-ca", "the signer's certificate is not for email protection (RFC 8550 §4.4.4)")
            : fromOk == false ? ("from-mismatch", $"a valid signature by {signer}, but the header From is {from}")
            : ("valid", $"a valid signature by {signer ?? f.Subject}, chained to the lab root{(revocation == "good" ? ", not revoked" : "")}");
        steps.Add(new("verdict", reason, verdict == "valid"));
        return new SmimeResult
        {
            Structure = structure, Verdict = verdict, Reason = reason, Steps = steps, Signer = signer, Subject = f.Subject, Serial = f.Serial,
            Issuer = f.Issuer, Chain = f.Chain, NotBefore = nb, NotAfter = na, Revocation = revocation, RevokedAt = revokedAt,
            SignerAddresses = f.Addresses, HeaderFrom = from, FromMatches = fromOk, DigestAlgorithm = digestName,
            ContentHash = hashOk ? "matches" : "differs", SigningTime = signingTime,
        };
    }
}
