using System.Runtime.CompilerServices;

namespace MailLab.MailAuth.Dkim;

/// <summary>
/// Which header fields a signature's h= covers (RFC 6376 §5.4, §8.15): the fields present that are not
/// signed (or have more instances than h= names), and the names h= lists more often than present (oversigned).
/// </summary>
internal static class DkimCoverage
{
    // One distinct name (ignoring case): its spelling in h= and in the header, and how often each has it.
    private struct Entry
    {
        public string? Signed;
        public string? Present;
        public int Wanted;
        public int Count;
    }

    /// <summary>The unsigned fields (header spelling, header order) and the "headers" step text.</summary>
    public static (IReadOnlyList<string> Unsigned, string Note) Of(DkimMessage message, IReadOnlyList<string> signed)
    {
        var headers = message.Headers;
        var entries = new Entry[signed.Count + headers.Count];
        int count = 0;
        // A name map only when there are many names (a forged field): a scan is cheaper for a real message.
        var index = entries.Length > 32 ? new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase) : null;
        foreach (string name in signed)
        {
            int i = Find(name);
            entries[i].Signed ??= name;
            entries[i].Wanted++;
        }
        int signedNames = count;
        var presentOrder = new int[headers.Count];
        int presentNames = 0;
        foreach (var h in headers)
        {
            if (h.Name.Equals("DKIM-Signature", StringComparison.OrdinalIgnoreCase)) continue;
            int i = Find(h.Name);
            if (entries[i].Count++ == 0)
            {
                entries[i].Present = h.Name;
                presentOrder[presentNames++] = i;
            }
        }

        // The note is written into a stack buffer (pooled if it outgrows it): one string, no builder.
        var sb = new DefaultInterpolatedStringHandler(0, 0, null, stackalloc char[512]);
        sb.AppendLiteral("signed: ");
        for (int i = 0; i < signedNames; i++)
        {
            if (i > 0) sb.AppendLiteral(", ");
            sb.AppendFormatted(entries[i].Signed);
        }
        int unsignedCount = 0;
        for (int p = 0; p < presentNames; p++)
        {
            if (entries[presentOrder[p]].Wanted < entries[presentOrder[p]].Count) unsignedCount++;
        }
        var unsigned = unsignedCount == 0 ? [] : new string[unsignedCount];
        sb.AppendLiteral(unsignedCount == 0 ? "; every header field present is signed" : "; NOT signed (may be changed or added freely): ");
        for (int p = 0, u = 0; p < presentNames; p++)
        {
            var e = entries[presentOrder[p]];
            if (e.Wanted >= e.Count) continue;
            if (u > 0) sb.AppendLiteral(", ");
            sb.AppendFormatted(e.Present);
            unsigned[u++] = e.Present!;
        }
        bool anyOver = false;
        for (int i = 0; i < signedNames; i++)
        {
            if (entries[i].Count >= entries[i].Wanted) continue;
            sb.AppendLiteral(anyOver ? ", " : "; oversigned (no further instance may be added): ");
            sb.AppendFormatted(entries[i].Signed);
            anyOver = true;
        }
        return (unsigned, sb.ToStringAndClear());

        int Find(string name)
        {
            if (index is not null)
            {
                if (index.TryGetValue(name, out int at)) return at;
                index[name] = count;
                return count++;
            }
            for (int i = 0; i < count; i++)
            {
                if ((entries[i].Signed ?? entries[i].Present)!.Equals(name, StringComparison.OrdinalIgnoreCase)) return i;
            }
            return count++;
        }
    }
}
