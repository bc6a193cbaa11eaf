namespace MailLab.Server.OpenPgp;

/// <summary>
/// What the lab found in one OpenPGP message: the kind, the verdict, the signer and their key's validity
/// for each recipient, or for whom it is encrypted; and every step, for the trace and <c>maillab pgp verify</c>.
/// </summary>
public sealed record PgpVerification
{
    /// <summary>The message kind.</summary>
    public required PgpMessageKind Kind { get; init; }

    /// <summary>
    /// <c>valid</c>, <c>invalid</c> (the signature does not match the content), <c>no-key</c> (no source had the
    /// signer's key), <c>malformed</c> (not a readable OpenPGP/MIME structure), <c>unsupported</c> (an algorithm
    /// the lab cannot check), <c>encrypted</c>, <c>decrypted</c> (only with mda-holds-user-keys), <c>recognised</c>.
    /// </summary>
    public required string Result { get; init; }

    /// <summary>One sentence: why.</summary>
    public required string Reason { get; init; }

    /// <summary>Every step, in order.</summary>
    public required IReadOnlyList<string> Steps { get; init; }

    /// <summary>The signer's key ID (16 hex digits), from the signature.</summary>
    public string? KeyId { get; init; }

    /// <summary>The signer's primary key fingerprint, when the key was found.</summary>
    public string? Fingerprint { get; init; }

    /// <summary>The signer key's first user ID, when found.</summary>
    public string? SignerUserId { get; init; }

    /// <summary>Where the key was found: <c>local</c>, <c>keyserver</c>, <c>dns</c>, <c>none</c>.</summary>
    public string? KeySource { get; init; }

    /// <summary>The signature's hash algorithm (SHA-256 ...).</summary>
    public string? Hash { get; init; }

    /// <summary>The public-key algorithm (of the signature, or of the first encrypted session key).</summary>
    public string? Algorithm { get; init; }

    /// <summary>Whether a user ID of the signer's key has the header From address; null without a key.</summary>
    public bool? FromMatches { get; init; }

    /// <summary>The header From address.</summary>
    public string? From { get; init; }

    /// <summary>Per local recipient: "ADDRESS: validity" of the signer's key in that recipient's web of trust.</summary>
    public IReadOnlyList<string> Validity { get; init; } = [];

    /// <summary>Encrypted: each recipient key ID with its owner where the lab knows it.</summary>
    public IReadOnlyList<string> EncryptedFor { get; init; } = [];

    /// <summary>Encrypted and decrypted: the content cipher (AES-256 ...).</summary>
    public string? Cipher { get; init; }

    /// <summary>The one-line text of the X-MailLab-OpenPGP header.</summary>
    public string Summary
    {
        get
        {
            var kind = Kind switch
            {
                PgpMessageKind.MimeSigned => "signed (PGP/MIME)",
                PgpMessageKind.InlineSigned => "signed (inline PGP)",
                PgpMessageKind.MimeEncrypted => "encrypted (PGP/MIME)",
                PgpMessageKind.InlineMessage => "inline PGP message",
                PgpMessageKind.Detached => "detached signature",
                _ => "none",
            };
            var parts = new List<string> { $"{kind}: {Result}" };
            if (KeyId is not null) parts.Add($"key 0x{KeyId}{(SignerUserId is null ? "" : $" \"{SignerUserId}\"")}{(KeySource is null or "none" ? "" : $" from {SourceName(KeySource)}")}");
            if (Validity.Count > 0) parts.Add("key validity " + string.Join(", ", Validity));
            if (FromMatches is { } m) parts.Add(m ? "signer matches From" : $"signer is NOT the From address {From}");
            if (EncryptedFor.Count > 0) parts.Add("for " + string.Join(", ", EncryptedFor));
            if (Cipher is not null) parts.Add("cipher " + Cipher);
            if (Result is "invalid" or "no-key" or "malformed" or "unsupported" or "recognised" or "encrypted") parts.Add(Reason);
            return string.Join("; ", parts);
        }
    }

    /// <summary>The name of a key source in prose.</summary>
    public static string SourceName(string source) => source switch
    {
        "local" => "the lab keyring",
        "keyserver" => "the key server",
        "dns" => "OPENPGPKEY in DNS",
        _ => source,
    };
}
