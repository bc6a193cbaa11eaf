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
        // One pass over the lines (RFC 5322 §2.2: a field is a line with a colon plus its folded continuation
        // lines); only From fields get their value built: the others are checked for syntax and skipped.
        string? from = null, fromName = null;
        int count = 0;
        bool inField = false, inFrom = false, odd = false;
        var value = new StringBuilder();
        for (int pos = 0; pos <= section.Length;)
        {
            int nl = section.IndexOf("\r\n", pos, StringComparison.Ordinal);
            var line = nl < 0 ? section.AsSpan(pos) : section.AsSpan(pos, nl - pos);
            pos = nl < 0 ? section.Length + 1 : nl + 2;
            if (line.Length > 0 && (line[0] == ' ' || line[0] == '\t'))
            {
                if (inField)
                {
                    if (inFrom) value.Append(line); // RFC 5322 §2.2.3: unfolding removes only the CRLF
                    continue;
                }
                // A folded first line: some parsers glue it to nothing, others treat it as a field.
                var colon0 = line.IndexOf(':');
                if (colon0 < 0) return NotAField(line);
                Start(line[..colon0], line[(colon0 + 1)..], oddName: true);
                continue;
            }
            if (inField && Finish() is { } problem) return problem;
            inField = false;
            if (line.Length == 0) continue;
            var colon = line.IndexOf(':');
            if (colon <= 0) return NotAField(line);
            // RFC 5322 §2.2: ftext is printable ASCII except ':'; white space before the colon is obsolete syntax (§4.5).
            Start(line[..colon], line[(colon + 1)..], oddName: line[..colon].ContainsAnyExceptInRange('!', '~'));
        }
        if (inField && Finish() is { } last) return last;
        if (count == 0) return AuthorDomain.Fail(FromProblem.Missing, "message has no From field (RFC 5322 §3.6 requires one)", null);
        if (count > 1) return AuthorDomain.Fail(FromProblem.Multiple, $"message has {count} From fields (RFC 5322 §3.6 allows one)", from!.Trim());
        return MailboxParser.Parse(from!.Trim());

        void Start(ReadOnlySpan<char> name, ReadOnlySpan<char> rest, bool oddName)
        {
            inField = true;
            inFrom = name.Trim().Equals("From", StringComparison.OrdinalIgnoreCase);
            if (!inFrom) return;
            odd = oddName;
            fromName = name.ToString();
            value.Clear().Append(rest);
        }

        AuthorDomain? Finish()
        {
            if (!inFrom) return null;
            var text = value.ToString();
            if (odd)
            {
                return AuthorDomain.Fail(FromProblem.OddFieldName,
                    $"field name '{fromName}' has white space before the colon or starts folded (RFC 5322 §2.2, §3.6.2)", text.Trim());
            }
            count++;
            from ??= text;
            return null;
        }
    }

    private static AuthorDomain NotAField(ReadOnlySpan<char> line) =>
        AuthorDomain.Fail(FromProblem.HeaderSyntax, $"header line '{Clip(line.ToString())}' is not a field (RFC 5322 §2.2)", null);

    internal static string Clip(string s) => s.Length <= 60 ? s : s[..60] + "...";
}
