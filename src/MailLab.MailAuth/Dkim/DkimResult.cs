using System.Text;

namespace MailLab.MailAuth.Dkim;

/// <summary>DKIM results as named in Authentication-Results (RFC 8601 §2.7.1).</summary>
public enum DkimResultCode
{
    None,
    Pass,
    Fail,
    Neutral,
    TempError,
    PermError,
    Policy,
}

/// <summary>
/// One step of a verification: what was done, what came out, and whether it was fine. The text is
/// "step: detail [query -> answer] ok"; as <see cref="ISpanFormattable"/> an interpolated string (the
/// MTA's trace line) takes it without a string of its own.
/// </summary>
public sealed record DkimStep(string Step, string Detail, bool? Ok = null, string? Query = null, string? Answer = null) : ISpanFormattable
{
    public override string ToString() => string.Create(Length, this, static (dst, step) => step.TryFormat(dst, out _, default, null));

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc />
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        charsWritten = 0;
        if (destination.Length < Length) return false;
        int o = 0;
        Put(destination, ref o, Step);
        Put(destination, ref o, ": ");
        Put(destination, ref o, Detail);
        if (Query is not null)
        {
            Put(destination, ref o, " [");
            Put(destination, ref o, Query);
            Put(destination, ref o, " -> ");
            Put(destination, ref o, Answer);
            Put(destination, ref o, "]");
        }
        if (Ok is bool ok) Put(destination, ref o, ok ? " ok" : " FAILED");
        charsWritten = o;
        return true;
    }

    private int Length => Step.Length + 2 + Detail.Length
        + (Query is null ? 0 : Query.Length + (Answer?.Length ?? 0) + 7)
        + (Ok is bool ok ? (ok ? 3 : 7) : 0);

    private static void Put(Span<char> destination, ref int o, string? text)
    {
        text.AsSpan().CopyTo(destination[o..]);
        o += text?.Length ?? 0;
    }
}

/// <summary>
/// The verification of one DKIM-Signature field (RFC 6376 §6.1) with its explanation as data: the key
/// lookup, the hashes compared, the headers signed and not signed, and the step that decided.
/// </summary>
public sealed record DkimVerification
{
    /// <summary>Position of the DKIM-Signature field among those of the message, 1 = topmost.</summary>
    public int Index { get; init; }
    public DkimResultCode Result { get; init; }

    /// <summary>Why the result is what it is, e.g. "body hash mismatch"; "signature verified" on pass.</summary>
    public required string Reason { get; init; }

    /// <summary>d= (the signing domain, what DMARC aligns with); null when the field could not be read that far.</summary>
    public string? Domain { get; init; }
    public string? Selector { get; init; }
    public string? Algorithm { get; init; }
    public string? Identity { get; init; }
    public string? Canonicalization { get; init; }
    public string? KeyQuery { get; init; }
    public string? KeyAnswer { get; init; }
    public int? KeyBits { get; init; }

    /// <summary>t=y in the key record: the domain is testing DKIM (RFC 6376 §3.6.1).</summary>
    public bool KeyTesting { get; init; }
    public string? BodyHashClaimed { get; init; }
    public string? BodyHashComputed { get; init; }

    /// <summary>SHA-256 (or SHA-1 for rsa-sha1) of the canonical header data, base64: what the signature covers.</summary>
    public string? HeaderHashComputed { get; init; }

    /// <summary>l= when the signature limits the body length (RFC 6376 §8.2: content past it is unsigned).</summary>
    public long? BodyLength { get; init; }

    /// <summary>Octets of canonical body past l= (not covered by the signature).</summary>
    public long UnsignedBodyOctets { get; init; }
    public DateTimeOffset? Expiration { get; init; }
    public IReadOnlyList<string> SignedHeaders { get; init; } = [];

    /// <summary>Header fields present in the message that no h= entry covers (they may change freely).</summary>
    public IReadOnlyList<string> UnsignedHeaders { get; init; } = [];
    public IReadOnlyList<DkimStep> Steps { get; init; } = [];

    /// <summary>Result keyword as written in Authentication-Results: "pass", "permerror", ...</summary>
    public string Keyword => Result switch
    {
        // The enum names lower-cased, as literals: read for every trace event of a verdict.
        DkimResultCode.None => "none",
        DkimResultCode.Pass => "pass",
        DkimResultCode.Fail => "fail",
        DkimResultCode.Neutral => "neutral",
        DkimResultCode.TempError => "temperror",
        DkimResultCode.PermError => "permerror",
        DkimResultCode.Policy => "policy",
        _ => Result.ToString().ToLowerInvariant(),
    };

    public override string ToString() =>
        $"dkim={Keyword} ({Reason}) d={Domain ?? "?"} s={Selector ?? "?"} a={Algorithm ?? "?"}";
}
