using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using MailLab.MailAuth.Spf;

namespace MailLab.MailAuth.Dkim;

/// <summary>
/// Verifies every DKIM-Signature of a message (RFC 6376 §6.1, RFC 8463, RFC 8301), each to its own
/// <see cref="DkimVerification"/> with the steps that led there. Sans-IO: key records come through an
/// <see cref="IDkimResolver"/>; only cancellation of the token throws.
/// </summary>
/// <remarks>
/// Written here rather than on MimeKit's DkimVerifierBase: that class canonicalizes a re-serialized
/// MimeMessage and answers body hash and signature checks with a bool, while a lab must show the
/// hashes it computed from the octets that arrived, the canonical data and which step decided.
/// </remarks>
public sealed class DkimVerifier(IDkimResolver resolver, TimeProvider? time = null)
{
    private readonly TimeProvider time = time ?? TimeProvider.System;

    /// <summary>The name of a key record (RFC 6376 §3.6.2.1): selector._domainkey.domain.</summary>
    public static string KeyName(string selector, string domain) => $"{selector}._domainkey.{domain}";

    /// <summary>Verifies the signatures of a CRLF message, topmost first, at most <see cref="DkimLimits.MaxSignatures"/>.</summary>
    public Task<IReadOnlyList<DkimVerification>> VerifyAsync(ReadOnlyMemory<byte> message, CancellationToken ct = default) =>
        VerifyAsync(DkimMessage.Parse(message), ct);

    /// <summary>Verifies the signatures of a parsed message.</summary>
    public async Task<IReadOnlyList<DkimVerification>> VerifyAsync(DkimMessage message, CancellationToken ct = default)
    {
        var fields = message.Headers.Where(h => h.Name.Equals("DKIM-Signature", StringComparison.OrdinalIgnoreCase)).ToList();
        var results = new List<DkimVerification>(fields.Count);
        var bodyHashes = new BodyHashes();
        for (int i = 0; i < fields.Count; i++)
        {
            if (i >= DkimLimits.MaxSignatures)
            {
                results.Add(new DkimVerification
                {
                    Index = i + 1,
                    Result = DkimResultCode.Neutral,
                    Reason = $"not verified: over the limit of {DkimLimits.MaxSignatures} signatures per message (RFC 6376 §6.1)",
                });
                continue;
            }
            results.Add(await VerifyOneAsync(message, fields[i], i + 1, bodyHashes, ct).ConfigureAwait(false));
        }
        return results;
    }

    private async Task<DkimVerification> VerifyOneAsync(DkimMessage message, DkimHeaderField field, int index,
        BodyHashes bodyHashes, CancellationToken ct)
    {
        // The result record is copied by every "with" (about 200 octets each): fields decided together
        // are set together, so a passing signature makes four copies, not eight.
        var steps = new List<DkimStep>(6);
        var sig = DkimSignature.Parse(field, out var error, out var tags);
        if (sig is null)
        {
            steps.Add(new DkimStep("parse", $"DKIM-Signature #{index}: {error}", false));
            return new DkimVerification
            {
                Index = index,
                Domain = tags?["d"]?.ToLowerInvariant(),
                Selector = tags?["s"],
                Algorithm = tags?["a"],
                Steps = steps,
                Result = DkimResultCode.PermError,
                Reason = error!,
            };
        }
        var (unsigned, signedNote) = DkimCoverage.Of(message, sig.SignedHeaders);
        var r = new DkimVerification
        {
            Index = index,
            Reason = "",
            Steps = steps,
            Domain = sig.Domain,
            Selector = sig.Selector,
            Algorithm = sig.AlgorithmName,
            Identity = sig.Identity ?? "@" + sig.Domain,
            Canonicalization = Canonicalization(sig.HeaderCanonicalization, sig.BodyCanonicalization),
            BodyHashClaimed = sig.BodyHash,
            BodyLength = sig.BodyLength,
            Expiration = sig.Expiration,
            SignedHeaders = sig.SignedHeaders,
            UnsignedHeaders = unsigned,
        };
        string h = string.Join(':', sig.SignedHeaders); // shown twice (parse and signature steps): joined once
        steps.Add(new DkimStep("parse",
            $"d={sig.Domain} s={sig.Selector} a={sig.AlgorithmName} c={r.Canonicalization} h={h}"
            + (sig.BodyLength is { } l ? $" l={l} (only the first {l} octets of the body are signed)" : ""), true));
        steps.Add(new DkimStep("headers", signedNote));

        if (tags!["q"] is { } q && !q.Split(':').Select(DkimTags.Trim).Contains("dns/txt", StringComparer.OrdinalIgnoreCase))
        {
            return Stop(r, steps, "parse", DkimResultCode.PermError, $"q={q}: no supported key query method (RFC 6376 §3.5: dns/txt)");
        }
        var now = time.GetUtcNow();
        if (sig.Expiration is { } x)
        {
            // now - skew, never x + skew: an x= near the year 9999 must not overflow the date (issue 20).
            bool expired = x < now - DkimLimits.ClockSkew;
            steps.Add(new DkimStep("expiry", $"x={sig.ExpirationSeconds} ({x:u}), now {now:u}", !expired));
            // RFC 6376 §6.1.1: a signature past its x= MUST be treated as invalid (PERMFAIL, "signature expired").
            if (expired) return r with { Result = DkimResultCode.Fail, Reason = $"signature expired at {x:u}" };
        }

        // RFC 6376 §6.1.2: get the public key.
        string query = KeyName(sig.Selector, sig.Domain);
        var answer = await resolver.LookupTxtAsync(query, ct).ConfigureAwait(false);
        string keyQuery = $"{query} TXT";
        if (answer.Kind == DnsAnswerKind.TempError)
        {
            string why = $"key lookup failed: {answer.Error}";
            steps.Add(new DkimStep("key", why, false, keyQuery, answer.Error));
            return r with { KeyQuery = keyQuery, Result = DkimResultCode.TempError, Reason = why, KeyAnswer = answer.Error };
        }
        if (answer.Kind == DnsAnswerKind.Void)
        {
            string shown = answer.Error ?? "no TXT record";
            steps.Add(new DkimStep("key", "no key record", false, keyQuery, shown));
            return r with { KeyQuery = keyQuery, Result = DkimResultCode.PermError, Reason = "no key for signature (RFC 6376 §6.1.2)", KeyAnswer = shown };
        }
        DkimPublicKey? key = null;
        string? keyError = null;
        string keyText = answer.Records[0];
        foreach (var record in answer.Records)
        {
            key = DkimPublicKey.ParseCached(record, out var e);
            keyError ??= e;
            if (key is not null)
            {
                keyText = record;
                break;
            }
        }
        if (key is null)
        {
            steps.Add(new DkimStep("key", keyError!, false, keyQuery, keyText));
            return r with { KeyQuery = keyQuery, KeyAnswer = keyText, Result = DkimResultCode.PermError, Reason = $"unusable key record: {keyError}" };
        }
        {
            r = r with { KeyQuery = keyQuery, KeyAnswer = keyText, KeyBits = key.Bits, KeyTesting = key.Testing };
            steps.Add(new DkimStep("key", $"k={key.KeyType}, {key.Bits} bits{(key.Testing ? ", t=y (testing)" : "")}", true, keyQuery, keyText));
            if (key.Mismatch(sig.Algorithm) is { } mismatch)
            {
                return Stop(r, steps, "key", DkimResultCode.PermError, mismatch + " (RFC 6376 §3.6.1)");
            }
            if (key.Strict && sig.Identity is { } id && !id.EndsWith("@" + sig.Domain, StringComparison.OrdinalIgnoreCase))
            {
                return Stop(r, steps, "key", DkimResultCode.PermError, $"the key has t=s but i={id} is a subdomain of d= (RFC 6376 §3.6.1)");
            }
            if (key.KeyType == "rsa" && key.Bits < DkimLimits.MinRsaBits)
            {
                return Stop(r, steps, "algorithm", DkimResultCode.Fail, $"RSA key of {key.Bits} bits is too small (RFC 8301 §3.2: at least {DkimLimits.MinRsaBits})");
            }
            if (key.KeyType == "rsa" && key.Bits > DkimLimits.MaxRsaBits)
            {
                return Stop(r, steps, "algorithm", DkimResultCode.PermError, $"RSA key of {key.Bits} bits is over the limit of {DkimLimits.MaxRsaBits}");
            }
            return Check(message, field, sig, key, r, steps, bodyHashes, h);
        }
    }

    private static DkimVerification Check(DkimMessage message, DkimHeaderField field, DkimSignature sig, DkimPublicKey key,
        DkimVerification r, List<DkimStep> steps, BodyHashes bodyHashes, string h)
    {
        // RFC 6376 §6.1.3: body hash first; a mismatch needs no public-key operation.
        bool sha1 = sig.Algorithm == DkimAlgorithm.RsaSha1;
        // The canonical body goes into a pooled buffer and is hashed from there: a 10 KB body otherwise
        // cost a fresh array (and its copy) per signature on every message. A second signature with the
        // same body canonicalization reuses the length and hash instead of canonicalizing again.
        if (!bodyHashes.TryGet(sig.BodyCanonicalization, sha1, sig.BodyLength, out int canonicalLength, out byte[]? bh))
        {
            var body = message.Body.Span;
            byte[] buffer = ArrayPool<byte>.Shared.Rent(body.Length + 2);
            try
            {
                canonicalLength = sig.BodyCanonicalization == DkimCanonicalization.Simple
                    ? DkimCanonicalizer.SimpleBody(body, buffer)
                    : DkimCanonicalizer.RelaxedBody(body, buffer);
                if (sig.BodyLength is not { } bl || bl <= canonicalLength)
                {
                    var signedBody = buffer.AsSpan(0, (int)(sig.BodyLength ?? canonicalLength));
                    bh = sha1 ? SHA1.HashData(signedBody) : SHA256.HashData(signedBody);
                }
                bodyHashes.Add(sig.BodyCanonicalization, sha1, sig.BodyLength, canonicalLength, bh);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        if (sig.BodyLength is { } l && l > canonicalLength)
        {
            return Stop(r, steps, "body-hash", DkimResultCode.Fail,
                $"l={l} is longer than the canonical body ({canonicalLength} octets): the body was truncated");
        }
        long unsignedOctets = sig.BodyLength is { } signedLength ? canonicalLength - signedLength : 0;
        string computed = Convert.ToBase64String(bh!);
        bool bodyOk = computed == sig.BodyHash;
        steps.Add(new DkimStep("body-hash",
            $"{Lower(sig.BodyCanonicalization)} body, {canonicalLength} octets canonical{(sig.BodyLength is { } sl ? $", {sl} signed" : "")}: computed bh={computed}, claimed bh={sig.BodyHash}", bodyOk));
        if (!bodyOk)
        {
            return r with { BodyHashComputed = computed, UnsignedBodyOctets = unsignedOctets, Result = DkimResultCode.Fail, Reason = "body hash mismatch" };
        }

        // The signed header fields are canonicalized into a pooled buffer, hashed and checked from there.
        byte[] rented = ArrayPool<byte>.Shared.Rent(DkimHeaderData.Bound(message, field));
        int dataLength;
        bool valid;
        string headerHashText;
        try
        {
            int written = DkimHeaderData.Write(message, field, sig, rented);
            ReadOnlySpan<byte> data = written >= 0 ? rented.AsSpan(0, written) : DkimHeaderData.Text(message, field, sig);
            Span<byte> headerHash = stackalloc byte[32];
            int hashLength = sha1 ? SHA1.HashData(data, headerHash) : SHA256.HashData(data, headerHash);
            headerHashText = Convert.ToBase64String(headerHash[..hashLength]);
            valid = key.Verify(sig.Algorithm, data, sig.Signature);
            dataLength = data.Length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
        r = r with { BodyHashComputed = computed, UnsignedBodyOctets = unsignedOctets, HeaderHashComputed = headerHashText };
        steps.Add(new DkimStep("signature",
            $"{Lower(sig.HeaderCanonicalization)} headers {h} + DKIM-Signature without b=, {dataLength} octets, hash {headerHashText}: {(valid ? "signature matches the key" : "signature does not match")}", valid));
        if (!valid) return r with { Result = DkimResultCode.Fail, Reason = "signature mismatch" };
        if (sha1)
        {
            // RFC 8301 §3.1: verifiers MUST NOT consider rsa-sha1 signatures valid.
            return Stop(r, steps, "algorithm", DkimResultCode.Fail, "rsa-sha1 is not allowed (RFC 8301 §3.1); the signature itself matched");
        }
        if (unsignedOctets > 0)
        {
            // RFC 6376 §8.2: content after l= is unsigned; anyone may have appended it. Valid, but local policy refuses it.
            return Stop(r, steps, "body-length", DkimResultCode.Policy, $"l={sig.BodyLength} leaves {unsignedOctets} octets of the body unsigned (RFC 6376 §8.2)");
        }
        return r with { Result = DkimResultCode.Pass, Reason = sig.BodyLength is null ? "signature verified" : $"signature verified (l={sig.BodyLength} covers the whole body)" };
    }

    /// <summary>
    /// The data the signature covers (RFC 6376 §3.7, §5.4.2): each h= name takes the next unused instance
    /// from the bottom; a name with none left contributes nothing. Then the DKIM-Signature field itself
    /// with b= emptied and no final CRLF.
    /// </summary>
    public static byte[] HeaderData(DkimMessage message, DkimHeaderField field, DkimSignature sig)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(DkimHeaderData.Bound(message, field));
        try
        {
            int length = DkimHeaderData.Write(message, field, sig, buffer);
            return length < 0 ? DkimHeaderData.Text(message, field, sig) : buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The raw field with the value of its b= tag removed, everything else byte for byte (RFC 6376 §3.5 b=).</summary>
    public static string WithoutSignatureValue(string raw)
    {
        int cut = SignatureValueRange(raw, out int resume);
        return cut < 0 ? raw : raw[..cut] + raw[resume..];
    }

    /// <summary>
    /// Where the value of b= starts in <paramref name="raw"/> (after its '='), with <paramref name="resume"/>
    /// where the text after the value starts; -1 when the field has no b= tag.
    /// </summary>
    internal static int SignatureValueRange(string raw, out int resume)
    {
        resume = -1;
        int i = raw.IndexOf(':') + 1;
        while (i > 0 && i < raw.Length)
        {
            int semicolon = raw.IndexOf(';', i);
            int end = semicolon >= 0 ? semicolon : raw.EndsWith("\r\n", StringComparison.Ordinal) ? raw.Length - 2 : raw.Length;
            int eq = raw.IndexOf('=', i);
            if (eq >= 0 && eq < end && raw.AsSpan(i, eq - i).Trim(" \t\r\n").SequenceEqual("b"))
            {
                resume = end;
                return eq + 1;
            }
            // The last tag-spec: without b= in it there is nothing to remove (before, a field ending in
            // CRLF looped here for ever).
            if (semicolon < 0) break;
            i = semicolon + 1;
        }
        return -1;
    }

    private static DkimVerification Stop(DkimVerification r, List<DkimStep> steps, string step, DkimResultCode code, string reason)
    {
        steps.Add(new DkimStep(step, reason, false));
        return r with { Result = code, Reason = reason };
    }

    private static string Lower(DkimCanonicalization c) => c == DkimCanonicalization.Simple ? "simple" : "relaxed";

    private static string Canonicalization(DkimCanonicalization header, DkimCanonicalization body) => (header, body) switch
    {
        (DkimCanonicalization.Relaxed, DkimCanonicalization.Relaxed) => "relaxed/relaxed",
        (DkimCanonicalization.Relaxed, DkimCanonicalization.Simple) => "relaxed/simple",
        (DkimCanonicalization.Simple, DkimCanonicalization.Relaxed) => "simple/relaxed",
        _ => "simple/simple",
    };

    /// <summary>Body hashes of one message by canonicalization, hash and l=, with the canonical length (a few entries: a list).</summary>
    private sealed class BodyHashes
    {
        private readonly List<(DkimCanonicalization C, bool Sha1, long? L, int Length, byte[]? Hash)> entries = new(2);

        public bool TryGet(DkimCanonicalization c, bool sha1, long? l, out int length, out byte[]? hash)
        {
            foreach (var e in entries)
            {
                if (e.C == c && e.Sha1 == sha1 && e.L == l)
                {
                    (length, hash) = (e.Length, e.Hash);
                    return true;
                }
            }
            (length, hash) = (0, null);
            return false;
        }

        public void Add(DkimCanonicalization c, bool sha1, long? l, int length, byte[]? hash) => entries.Add((c, sha1, l, length, hash));
    }
}
