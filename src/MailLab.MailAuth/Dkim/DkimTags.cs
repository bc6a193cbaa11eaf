namespace MailLab.MailAuth.Dkim;

/// <summary>
/// The tag=value list of RFC 6376 §3.2, used by DKIM-Signature fields and key records. Parsing returns
/// either the tags or the reason the list is malformed; it never throws.
/// </summary>
public sealed class DkimTags
{
    private readonly Dictionary<string, string> tags;

    private DkimTags(Dictionary<string, string> tags, IReadOnlyList<string> order)
    {
        this.tags = tags;
        Order = order;
    }

    /// <summary>Tag names in the order they appeared.</summary>
    public IReadOnlyList<string> Order { get; }

    /// <summary>The value of <paramref name="name"/> with surrounding FWS removed, or null when absent.</summary>
    public string? this[string name] => tags.TryGetValue(name, out var v) ? v : null;

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says what is wrong.</summary>
    public static DkimTags? Parse(string text, out string? error)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        var order = new List<string>();
        error = null;
        var specs = text.Split(';');
        for (int n = 0; n < specs.Length; n++)
        {
            string spec = Trim(specs[n]);
            if (spec.Length == 0)
            {
                // RFC 6376 §3.2: a trailing ";" is allowed; an empty tag-spec anywhere else is not.
                if (n == specs.Length - 1) break;
                error = "empty tag (two semicolons in a row)";
                return null;
            }
            int eq = spec.IndexOf('=');
            if (eq < 0)
            {
                error = $"tag '{spec}' has no '='";
                return null;
            }
            string name = Trim(spec[..eq]);
            if (name.Length == 0 || !char.IsAsciiLetter(name[0]) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                error = $"'{name}' is not a valid tag name";
                return null;
            }
            if (!tags.TryAdd(name, Trim(spec[(eq + 1)..])))
            {
                // RFC 6376 §3.2: "Tags with duplicate names MUST NOT occur within a single tag-list".
                error = $"tag '{name}' appears twice";
                return null;
            }
            order.Add(name);
        }
        return new DkimTags(tags, order);
    }

    /// <summary>Removes FWS (SP, HTAB, CRLF) at both ends.</summary>
    public static string Trim(string s) => s.Trim(' ', '\t', '\r', '\n');

    /// <summary>Removes all FWS, as base64 tag values (b=, bh=, p=) allow it anywhere (RFC 6376 §3.5).</summary>
    public static string StripWhitespace(string s)
    {
        // Hot in every verification (b= of a 2048-bit signature is folded over several lines): no LINQ, one copy.
        if (s.AsSpan().IndexOfAny(Fws) < 0) return s;
        return string.Create(s.Length - Count(s), s, static (dst, src) =>
        {
            int o = 0;
            foreach (char c in src)
            {
                if (c is not (' ' or '\t' or '\r' or '\n')) dst[o++] = c;
            }
        });

        static int Count(string s)
        {
            int n = 0;
            foreach (char c in s) if (c is ' ' or '\t' or '\r' or '\n') n++;
            return n;
        }
    }

    private static readonly System.Buffers.SearchValues<char> Fws = System.Buffers.SearchValues.Create(" \t\r\n");
}
