namespace MailLab.Server.Smime;

/// <summary>One step of an S/MIME verification, in words; <see cref="Ok"/> null is information only.</summary>
/// <param name="Step">structure, signer, chain, validity, revocation, from, digest, content-hash, signature, recipients, cipher, decrypt, compression.</param>
/// <param name="Detail">What the step found.</param>
/// <param name="Ok">Whether it passed.</param>
public sealed record SmimeStep(string Step, string Detail, bool? Ok);

/// <summary>
/// What the lab found in an S/MIME message (RFC 8551): the structure, every step, and one verdict. A value,
/// never an exception: malformed or unsupported input is a verdict too.
/// </summary>
public sealed record SmimeResult
{
    /// <summary>multipart/signed, signed-data, enveloped-data, compressed-data, unknown, or none (not S/MIME).</summary>
    public required string Structure { get; init; }

    /// <summary>
    /// valid, tampered (content hash or signature wrong), untrusted-ca, revoked, expired, from-mismatch,
    /// encrypted, compressed, decrypted, malformed, unsupported, none.
    /// </summary>
    public required string Verdict { get; init; }

    /// <summary>The verdict in one sentence.</summary>
    public required string Reason { get; init; }

    /// <summary>Every step, in order.</summary>
    public IReadOnlyList<SmimeStep> Steps { get; init; } = [];

    /// <summary>The signer's first mail address (from the certificate), when signed.</summary>
    public string? Signer { get; init; }

    /// <summary>The signer certificate's subject, serial (hex) and issuer.</summary>
    public string? Subject { get; init; }
    /// <summary>The signer certificate's serial number in hex.</summary>
    public string? Serial { get; init; }
    /// <summary>The signer certificate's issuer.</summary>
    public string? Issuer { get; init; }

    /// <summary>The chain from the signer up, each as its subject; ends with "other CA: ..." when not the lab's.</summary>
    public IReadOnlyList<string> Chain { get; init; } = [];

    /// <summary>The signer certificate's validity, ISO 8601 UTC.</summary>
    public string? NotBefore { get; init; }
    /// <summary>The end of the signer certificate's validity, ISO 8601 UTC.</summary>
    public string? NotAfter { get; init; }

    /// <summary>good, revoked, not-checked (not a lab certificate) or unknown (no valid CRL).</summary>
    public string? Revocation { get; init; }

    /// <summary>When the signer certificate was revoked (ISO 8601 UTC).</summary>
    public string? RevokedAt { get; init; }

    /// <summary>The mail addresses the signer certificate names (rfc822Name SANs, RFC 8550 §3).</summary>
    public IReadOnlyList<string> SignerAddresses { get; init; } = [];

    /// <summary>The header From address compared with them.</summary>
    public string? HeaderFrom { get; init; }

    /// <summary>Whether the header From is one of the signer's addresses (null: not compared).</summary>
    public bool? FromMatches { get; init; }

    /// <summary>The digest algorithm of the signature (e.g. sha256).</summary>
    public string? DigestAlgorithm { get; init; }

    /// <summary>matches or differs: the content's digest against the signed message-digest attribute.</summary>
    public string? ContentHash { get; init; }

    /// <summary>The signing-time attribute, when present.</summary>
    public string? SigningTime { get; init; }

    /// <summary>Enveloped: for whom (one entry per recipient info).</summary>
    public IReadOnlyList<string> Recipients { get; init; } = [];

    /// <summary>Enveloped: the key transport algorithm(s).</summary>
    public string? KeyTransport { get; init; }

    /// <summary>Enveloped: the content encryption algorithm.</summary>
    public string? ContentCipher { get; init; }

    /// <summary>Enveloped: whether the lab decrypted it (only with the mda-holds-user-keys switch).</summary>
    public bool? Decrypted { get; init; }

    /// <summary>Enveloped or compressed, when opened: the inner structure and its verdict.</summary>
    public string? InnerStructure { get; init; }

    /// <summary>The result of the inner content (decrypted or decompressed), when opened.</summary>
    public SmimeResult? Inner { get; init; }

    /// <summary>The X-MailLab-SMIME header value: the verdict and what it rests on.</summary>
    public string Summary
    {
        get
        {
            var parts = new List<string> { $"{Structure}={Verdict}" };
            if (Signer is not null) parts.Add($"signer={Signer}");
            if (Chain.Count > 0) parts.Add($"chain={string.Join(" > ", Chain)}");
            if (Revocation is not null) parts.Add($"revocation={Revocation}{(RevokedAt is null ? "" : " since " + RevokedAt)}");
            if (FromMatches is { } m) parts.Add($"from={(m ? "matches" : "differs")}");
            if (DigestAlgorithm is not null) parts.Add($"digest={DigestAlgorithm}");
            if (ContentHash is not null) parts.Add($"content-hash={ContentHash}");
            if (Recipients.Count > 0) parts.Add($"recipients={string.Join(", ", Recipients)}");
            if (ContentCipher is not null) parts.Add($"cipher={ContentCipher}");
            if (Decrypted is { } d) parts.Add(d ? "decrypted by the MDA" : "not decrypted");
            if (Inner is not null) parts.Add($"inner {Inner.Structure}={Inner.Verdict}");
            return string.Join("; ", parts);
        }
    }
}
