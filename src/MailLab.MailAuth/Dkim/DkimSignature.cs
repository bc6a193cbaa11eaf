using System.Globalization;

namespace MailLab.MailAuth.Dkim;

/// <summary>The signing algorithms of RFC 6376 §3.3 and RFC 8463 §3.</summary>
public enum DkimAlgorithm
{
    RsaSha1,
    RsaSha256,
    Ed25519Sha256,
}

/// <summary>A DKIM-Signature field's tags (RFC 6376 §3.5), parsed and checked per §6.1.1.</summary>
public sealed record DkimSignature
{
    public required string Domain { get; init; }
    public required string Selector { get; init; }
    public required string AlgorithmName { get; init; }
    public DkimAlgorithm Algorithm { get; init; }
    public required byte[] Signature { get; init; }
    public required string BodyHash { get; init; }
    public required IReadOnlyList<string> SignedHeaders { get; init; }
    public DkimCanonicalization HeaderCanonicalization { get; init; }
    public DkimCanonicalization BodyCanonicalization { get; init; }
    public string? Identity { get; init; }
    public long? BodyLength { get; init; }
    public DateTimeOffset? Timestamp { get; init; }
    public DateTimeOffset? Expiration { get; init; }

    /// <summary>t= as written, in Unix seconds (<see cref="Timestamp"/> is held at year 9999 at most).</summary>
    public long? TimestampSeconds { get; init; }

    /// <summary>x= as written, in Unix seconds (<see cref="Expiration"/> is held at year 9999 at most).</summary>
    public long? ExpirationSeconds { get; init; }

    /// <summary>"rsa-sha256" etc. as written in a=.</summary>
    public static string Name(DkimAlgorithm a) => a switch
    {
        DkimAlgorithm.RsaSha1 => "rsa-sha1",
        DkimAlgorithm.RsaSha256 => "rsa-sha256",
        _ => "ed25519-sha256",
    };

    /// <summary>
    /// Parses the value of a DKIM-Signature field. On a malformed field <paramref name="error"/> says
    /// which rule of RFC 6376 §3.5 or §6.1.1 it breaks, and <paramref name="partial"/> keeps what was readable.
    /// </summary>
    public static DkimSignature? Parse(string value, out string? error, out DkimTags? partial)
    {
        partial = DkimTags.Parse(value, out error);
        return partial is null ? null : FromTags(partial, out error);
    }

    /// <summary><see cref="Parse(string, out string?, out DkimTags?)"/> of a field's value, read inside the raw field (no copy of the value).</summary>
    internal static DkimSignature? Parse(DkimHeaderField field, out string? error, out DkimTags? partial)
    {
        var (start, end) = field.ValueBounds();
        partial = DkimTags.Parse(field.Raw, start, end, out error);
        return partial is null ? null : FromTags(partial, out error);
    }

    private static readonly string[] Required = ["v", "a", "b", "bh", "d", "h", "s"];

    private static DkimSignature? FromTags(DkimTags t, out string? error)
    {
        error = null;
        // RFC 6376 §6.1.1: v, a, b, bh, d, h and s are required.
        foreach (string req in Required)
        {
            if (t[req] is null)
            {
                error = $"required tag {req}= is missing (RFC 6376 §6.1.1)";
                return null;
            }
        }
        if (t["v"] != "1")
        {
            error = $"v={t["v"]} is not a supported version (RFC 6376 §3.5: v=1)";
            return null;
        }
        DkimAlgorithm? alg = t["a"]!.ToLowerInvariant() switch
        {
            "rsa-sha1" => DkimAlgorithm.RsaSha1,
            "rsa-sha256" => DkimAlgorithm.RsaSha256,
            "ed25519-sha256" => DkimAlgorithm.Ed25519Sha256,
            _ => null,
        };
        if (alg is null)
        {
            error = $"a={t["a"]} is not a known algorithm (RFC 6376 §3.3, RFC 8463)";
            return null;
        }
        var (hc, bc, cerror) = ParseCanonicalization(t["c"]);
        if (cerror is not null)
        {
            error = cerror;
            return null;
        }
        byte[] sig;
        try
        {
            // FromBase64String skips SP, HTAB, CR and LF itself (the FWS that RFC 6376 §3.5 allows in
            // b= and bh=), so the folded value needs no stripped copy; bh= is only checked here.
            sig = Convert.FromBase64String(t["b"]!);
            if (!IsBase64(t["bh"]!)) throw new FormatException();
        }
        catch (FormatException)
        {
            error = "b= or bh= is not valid base64";
            return null;
        }
        var headers = HeaderNames(t["h"]!);
        if (headers is null)
        {
            error = "h= has an empty header name";
            return null;
        }
        // RFC 6376 §5.4: the From field MUST be signed.
        if (!ContainsFrom(headers))
        {
            error = "h= does not include From (RFC 6376 §5.4: From MUST be signed)";
            return null;
        }
        string domain = t["d"]!.TrimEnd('.').ToLowerInvariant();
        string? identity = t["i"];
        if (identity is not null)
        {
            // RFC 6376 §6.1.1: the domain of i= must be d= or a subdomain of it.
            int at = identity.LastIndexOf('@');
            string idomain = (at < 0 ? "" : identity[(at + 1)..]).TrimEnd('.').ToLowerInvariant();
            if (at < 0 || !(idomain == domain || idomain.EndsWith("." + domain, StringComparison.Ordinal)))
            {
                error = $"i={identity} is not in d={domain} or a subdomain (RFC 6376 §6.1.1)";
                return null;
            }
        }
        long? length = null;
        if (t["l"] is { } l)
        {
            if (!long.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var lv))
            {
                error = $"l={l} is not a number";
                return null;
            }
            length = lv;
        }
        var ts = Seconds(t["t"], "t", ref error);
        var xs = Seconds(t["x"], "x", ref error);
        if (error is not null) return null;
        // Compared as numbers, before they become dates: two times past year 9999 would clamp to the same date.
        if (ts is not null && xs is not null && xs < ts)
        {
            // RFC 6376 §3.5 x=: "the value of the x= tag MUST be greater than the value of the t= tag".
            error = "x= is before t=";
            return null;
        }
        return new DkimSignature
        {
            Domain = domain,
            Selector = t["s"]!.ToLowerInvariant(),
            AlgorithmName = t["a"]!.ToLowerInvariant(),
            Algorithm = alg.Value,
            Signature = sig,
            BodyHash = DkimTags.StripWhitespace(t["bh"]!),
            SignedHeaders = headers,
            HeaderCanonicalization = hc,
            BodyCanonicalization = bc,
            Identity = identity,
            BodyLength = length,
            Timestamp = Date(ts),
            Expiration = Date(xs),
            TimestampSeconds = ts,
            ExpirationSeconds = xs,
        };
    }

    // bh= of SHA-256 is 44 characters; a longer value (anything goes in a forged field) takes the array path.
    private static bool IsBase64(string value)
    {
        if (value.Length > 256)
        {
            Convert.FromBase64String(value);
            return true;
        }
        Span<byte> decoded = stackalloc byte[192];
        return Convert.TryFromBase64Chars(value, decoded, out _);
    }

    /// <summary>h= split at ':' with FWS trimmed from each name (RFC 6376 §3.5); null when one is empty.</summary>
    private static List<string>? HeaderNames(string h)
    {
        var names = new List<string>(h.AsSpan().Count(':') + 1);
        foreach (var range in h.AsSpan().Split(':'))
        {
            var name = h.AsSpan(range).Trim(" \t\r\n");
            if (name.Length == 0) return null;
            names.Add(CommonName(name) ?? new string(name));
        }
        return names;
    }

    private static bool ContainsFrom(List<string> headers)
    {
        foreach (string name in headers)
        {
            if (name.Equals("from", StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    // The names signers put in h= most (RFC 6376 §5.4.1), shared instead of a new string per signature.
    private static readonly string[] Common =
    [
        "from", "to", "subject", "date", "message-id", "mime-version", "content-type", "cc", "reply-to",
        "content-transfer-encoding", "in-reply-to", "references", "list-id", "list-unsubscribe",
    ];

    private static string? CommonName(ReadOnlySpan<char> name)
    {
        foreach (string c in Common)
        {
            if (name.SequenceEqual(c)) return c;
        }
        return null;
    }

    /// <summary>The latest time a <see cref="DateTimeOffset"/> holds (9999-12-31T23:59:59Z), in Unix seconds.</summary>
    public const long MaxUnixSeconds = 253402300799;

    private static long? Seconds(string? value, string tag, ref string? error)
    {
        if (value is null) return null;
        // 12 digits is enough (RFC 6376 §3.5: at least 40 bits); more is a syntax error, not an overflow.
        // Digits only: no sign, no white space, no exponent.
        if (value.Length is 0 or > 12 || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var secs))
        {
            error ??= $"{tag}={value} is not a Unix time (1 to 12 digits, RFC 6376 §3.5)";
            return null;
        }
        return secs;
    }

    // 12 digits reach the year 33658; a date past 9999 is held as 9999-12-31 (the far future either way).
    private static DateTimeOffset? Date(long? secs) =>
        secs is { } s ? DateTimeOffset.FromUnixTimeSeconds(Math.Min(s, MaxUnixSeconds)) : null;

    private static (DkimCanonicalization, DkimCanonicalization, string?) ParseCanonicalization(string? c)
    {
        // RFC 6376 §3.5 c=: default simple/simple; "relaxed" alone means relaxed/simple.
        if (c is null) return (DkimCanonicalization.Simple, DkimCanonicalization.Simple, null);
        var parts = c.ToLowerInvariant().Split('/');
        if (parts.Length > 2) return (default, default, $"c={c} is malformed");
        var h = One(parts[0]);
        var b = parts.Length == 2 ? One(parts[1]) : DkimCanonicalization.Simple;
        return h is null || b is null ? (default, default, $"c={c} names an unknown canonicalization (RFC 6376 §3.4)") : (h.Value, b.Value, null);

        static DkimCanonicalization? One(string s) => s switch
        {
            "simple" => DkimCanonicalization.Simple,
            "relaxed" => DkimCanonicalization.Relaxed,
            _ => null,
        };
    }
}
