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
    public static DkimTags? Parse(string text, out string? error) => Parse(text, 0, text.Length, out error);

    /// <summary>
    /// Parses the list in <paramref name="text"/> from <paramref name="start"/> to <paramref name="end"/>
    /// (a field's value inside the raw field, without a copy of it).
    /// </summary>
    internal static DkimTags? Parse(string text, int start, int end, out string? error)
    {
        // Hot in every verification (a DKIM-Signature of ~700 octets, twice per message): the list is read
        // as spans, and only names and values are made into strings (tag names known to RFC 6376 are shared).
        var tags = new Dictionary<string, string>(16, StringComparer.Ordinal);
        var order = new List<string>(16);
        error = null;
        int at = start;
        while (true)
        {
            int semicolon = text.IndexOf(';', at, end - at);
            int specEnd = semicolon < 0 ? end : semicolon;
            var spec = text.AsSpan(at, specEnd - at).Trim(FwsChars);
            if (spec.Length == 0)
            {
                // RFC 6376 §3.2: a trailing ";" is allowed; an empty tag-spec anywhere else is not.
                if (semicolon < 0) break;
                error = "empty tag (two semicolons in a row)";
                return null;
            }
            int eq = spec.IndexOf('=');
            if (eq < 0)
            {
                error = $"tag '{spec}' has no '='";
                return null;
            }
            var nameSpan = spec[..eq].Trim(FwsChars);
            if (nameSpan.Length == 0 || !char.IsAsciiLetter(nameSpan[0]) || nameSpan.ContainsAnyExcept(NameChars))
            {
                error = $"'{nameSpan}' is not a valid tag name";
                return null;
            }
            string name = KnownName(nameSpan) ?? new string(nameSpan);
            var valueSpan = spec[(eq + 1)..].Trim(FwsChars);
            if (!tags.TryAdd(name, valueSpan.Length == 0 ? "" : new string(valueSpan)))
            {
                // RFC 6376 §3.2: "Tags with duplicate names MUST NOT occur within a single tag-list".
                error = $"tag '{name}' appears twice";
                return null;
            }
            order.Add(name);
            if (semicolon < 0) break;
            at = semicolon + 1;
        }
        return new DkimTags(tags, order);
    }

    // The tags of RFC 6376 §3.5 and §3.6.1: the same string every time instead of a new one per field.
    private static readonly string[] Known = ["v", "a", "b", "bh", "c", "d", "h", "i", "l", "q", "s", "t", "x", "z", "k", "n", "p"];

    private static string? KnownName(ReadOnlySpan<char> name)
    {
        if (name.Length > 2) return null;
        foreach (string k in Known)
        {
            if (name.SequenceEqual(k)) return k;
        }
        return null;
    }

    private const string FwsChars = " \t\r\n";
    private static readonly System.Buffers.SearchValues<char> NameChars =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");

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
