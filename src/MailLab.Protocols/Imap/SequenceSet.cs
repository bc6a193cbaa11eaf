using System.Globalization;

namespace MailLab.Protocols.Imap;

/// <summary>
/// An IMAP sequence set (RFC 3501 §9 sequence-set): numbers and ranges separated by commas, where
/// <c>*</c> is the largest number in use. The same type serves message sequence numbers and UIDs.
/// </summary>
public sealed class SequenceSet
{
    // Stands for `*` until Resolve replaces it. Wider than uint so that an explicit 4294967295 (a valid
    // nz-number, RFC 3501 §9) is not mistaken for `*`: UID 7:4294967295 names no UID below 7 (§6.4.8).
    private const ulong Star = ulong.MaxValue;

    private readonly (ulong Low, ulong High)[] ranges;

    private SequenceSet((ulong, ulong)[] ranges) => this.ranges = ranges;

    /// <summary>True if a number above <paramref name="count"/> is named explicitly (a range ending in <c>*</c> never is).</summary>
    public bool NamesBeyond(uint count) => ranges.Any(r => r.High != Star && r.High > count);

    /// <summary>Parses <c>1,3:5,7:*</c>. False on anything else (0 is not a valid number, RFC 3501 §9 nz-number).</summary>
    public static bool TryParse(string text, out SequenceSet set)
    {
        set = null!;
        if (string.IsNullOrEmpty(text) || text.Length > 100_000)
        {
            return false;
        }
        var parts = text.Split(',');
        var list = new (ulong, ulong)[parts.Length];
        for (var k = 0; k < parts.Length; k++)
        {
            var colon = parts[k].IndexOf(':');
            if (colon < 0)
            {
                if (!TryNumber(parts[k], out var n))
                {
                    return false;
                }
                list[k] = (n, n);
            }
            else
            {
                if (!TryNumber(parts[k][..colon], out var a) || !TryNumber(parts[k][(colon + 1)..], out var b))
                {
                    return false;
                }
                list[k] = a <= b ? (a, b) : (b, a); // RFC 3501 §9: 4:2 is the same as 2:4
            }
        }
        set = new SequenceSet(list);
        return true;
    }

    private static bool TryNumber(string s, out ulong n)
    {
        if (s == "*")
        {
            n = Star;
            return true;
        }
        var ok = uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var u) && u > 0;
        n = u;
        return ok;
    }

    /// <summary>
    /// Sorted, merged ranges with <c>*</c> replaced by <paramref name="largest"/> (RFC 3501 §6.4.8:
    /// for UIDs, <c>N:*</c> always includes the largest UID even when N is above it).
    /// </summary>
    public IReadOnlyList<(uint Low, uint High)> Resolve(uint largest)
    {
        var resolved = new List<(uint Low, uint High)>(ranges.Length);
        foreach (var (low, high) in ranges)
        {
            var l = low == Star ? largest : (uint)low;
            var h = high == Star ? largest : (uint)high;
            resolved.Add(l <= h ? (l, h) : (h, l));
        }
        resolved.Sort();
        var merged = new List<(uint Low, uint High)>(resolved.Count);
        foreach (var r in resolved)
        {
            if (merged.Count > 0 && (ulong)r.Low <= (ulong)merged[^1].High + 1)
            {
                merged[^1] = (merged[^1].Low, Math.Max(merged[^1].High, r.High));
            }
            else
            {
                merged.Add(r);
            }
        }
        return merged;
    }

    /// <summary>The set as written (sorted is not implied).</summary>
    public override string ToString() => string.Join(',', ranges.Select(r =>
        r.Low == r.High ? N(r.Low) : N(r.Low) + ":" + N(r.High)));

    private static string N(ulong n) => n == Star ? "*" : n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Compact text of sorted numbers (<c>1:3,7</c>), as COPYUID and APPENDUID write them (RFC 4315 §3).</summary>
    public static string Format(IReadOnlyList<uint> sorted)
    {
        var sb = new System.Text.StringBuilder();
        for (var k = 0; k < sorted.Count; k++)
        {
            var start = sorted[k];
            while (k + 1 < sorted.Count && sorted[k + 1] == sorted[k] + 1)
            {
                k++;
            }
            if (sb.Length > 0) sb.Append(',');
            sb.Append(start.ToString(CultureInfo.InvariantCulture));
            if (sorted[k] != start) sb.Append(':').Append(sorted[k].ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
