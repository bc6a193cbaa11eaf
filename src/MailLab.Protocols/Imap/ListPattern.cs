namespace MailLab.Protocols.Imap;

/// <summary>LIST wildcards (RFC 3501 §6.3.8): <c>*</c> matches anything, <c>%</c> anything but the delimiter.</summary>
public sealed class ListPattern
{
    private readonly string pattern;

    private ListPattern(string pattern) => this.pattern = pattern;

    /// <summary>The reference and the pattern joined (the reference is a prefix in this one namespace).</summary>
    public static ListPattern Create(string reference, string pattern)
    {
        var full = reference.Length == 0 ? pattern
            : reference.EndsWith('/') || pattern.StartsWith('/') ? reference + pattern : reference + "/" + pattern;
        return new ListPattern(full);
    }

    /// <summary>True when the mailbox name (as sent on the wire) matches.</summary>
    public bool IsMatch(string name)
    {
        // INBOX is case-insensitive (RFC 3501 §5.1).
        if (name == "INBOX" && pattern.Length >= 5 && pattern[..5].Equals("INBOX", StringComparison.OrdinalIgnoreCase))
        {
            return Match(pattern, 5, name, 5);
        }
        return Match(pattern, 0, name, 0);
    }

    // Dynamic programming over (pattern, name) positions: linear in their product, so a pattern of
    // many wildcards cannot make the server backtrack for ever.
    private static bool Match(string p, int pi, string s, int si)
    {
        var n = s.Length - si;
        var row = new bool[n + 1];
        row[0] = true;
        for (var k = pi; k < p.Length; k++)
        {
            var c = p[k];
            var next = new bool[n + 1];
            if (c is '*' or '%')
            {
                next[0] = row[0];
                for (var j = 1; j <= n; j++)
                {
                    // The wildcard takes character j-1 too, unless it is '%' and that is the delimiter.
                    next[j] = row[j] || (next[j - 1] && (c == '*' || s[si + j - 1] != '/'));
                }
            }
            else
            {
                for (var j = 1; j <= n; j++)
                {
                    next[j] = row[j - 1] && s[si + j - 1] == c;
                }
            }
            row = next;
        }
        return row[n];
    }
}
