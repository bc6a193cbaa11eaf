using System.Text;

namespace MailLab.MailAuth.Dmarc;

/// <summary>
/// Finds the author domain in a message's header section (sans-IO: bytes in, value out). Strict on
/// purpose: whatever two parsers could read differently is refused, never guessed (see <see cref="FromProblem"/>).
/// </summary>
public static class FromExtractor
{
    /// <summary>How much of the message is searched for the header section (it ends at the first empty line).</summary>
    public const int MaxHeaderBytes = 256 * 1024;

    /// <summary>Extracts the author domain from the start of a message (header section, then an empty line, then the body).</summary>
    public static AuthorDomain Extract(ReadOnlySpan<byte> message)
    {
        if (message.Length > MaxHeaderBytes) message = message[..MaxHeaderBytes];
        // Only the header section is decoded: CR and LF never occur inside a UTF-8 sequence, so cutting the
        // bytes at the empty line gives the same text as cutting the decoded message there.
        var end = message.IndexOf("\r\n\r\n"u8);
        var section = Encoding.UTF8.GetString(end >= 0 ? message[..(end + 2)] : message);
        if (section.StartsWith("\r\n", StringComparison.Ordinal)) section = "";
        string? from = null;
        int count = 0;
        foreach (var (name, value, odd) in Fields(section))
        {
            if (name is null)
            {
                return AuthorDomain.Fail(FromProblem.HeaderSyntax, $"header line '{Clip(value)}' is not a field (RFC 5322 §2.2)", null);
            }
            var isFrom = name.Trim().Equals("From", StringComparison.OrdinalIgnoreCase);
            if (isFrom && odd)
            {
                return AuthorDomain.Fail(FromProblem.OddFieldName,
                    $"field name '{name}' has white space before the colon or starts folded (RFC 5322 §2.2, §3.6.2)", value.Trim());
            }
            if (!isFrom) continue;
            count++;
            from ??= value;
        }
        if (count == 0) return AuthorDomain.Fail(FromProblem.Missing, "message has no From field (RFC 5322 §3.6 requires one)", null);
        if (count > 1) return AuthorDomain.Fail(FromProblem.Multiple, $"message has {count} From fields (RFC 5322 §3.6 allows one)", from!.Trim());
        return MailboxParser.Parse(from!.Trim());
    }

    /// <summary>Unfolded fields: name (null for a line that is no field), value, and whether the name is odd.</summary>
    private static IEnumerable<(string? Name, string Value, bool Odd)> Fields(string section)
    {
        var lines = section.Split("\r\n");
        string? name = null;
        var value = new StringBuilder();
        bool odd = false;
        foreach (var line in lines)
        {
            if (line.Length > 0 && (line[0] == ' ' || line[0] == '\t'))
            {
                if (name is null)
                {
                    // A folded first line: some parsers glue it to nothing, others treat it as a field.
                    var colon0 = line.IndexOf(':');
                    if (colon0 < 0) { yield return (null, line, false); yield break; }
                    name = line[..colon0];
                    odd = true;
                    value.Append(line[(colon0 + 1)..]);
                    continue;
                }
                value.Append(line); // RFC 5322 §2.2.3: unfolding removes only the CRLF
                continue;
            }
            if (name is not null) yield return (name, value.ToString(), odd);
            name = null;
            value.Clear();
            odd = false;
            if (line.Length == 0) continue;
            var colon = line.IndexOf(':');
            if (colon <= 0) { yield return (null, line, false); yield break; }
            name = line[..colon];
            // RFC 5322 §2.2: ftext is printable ASCII except ':'; white space before the colon is obsolete syntax (§4.5).
            odd = name.Any(c => c <= ' ' || c > '~');
            value.Append(line[(colon + 1)..]);
        }
        if (name is not null) yield return (name, value.ToString(), odd);
    }

    internal static string Clip(string s) => s.Length <= 60 ? s : s[..60] + "...";
}
