using System.Globalization;

namespace MailLab.Protocols.Pop3;

/// <summary>
/// Parses one POP3 command line (framed without its CRLF). RFC 1939 §3 and RFC 2449 §4: a
/// case-insensitive keyword of three or four characters, arguments separated by a single space.
/// No I/O: the line framer and the session are elsewhere.
/// </summary>
public static class Pop3CommandParser
{
    // (verb, fewest arguments, most arguments, the shape in the syntax error)
    private static readonly Dictionary<string, (Pop3Verb Verb, int Min, int Max, string Syntax)> Verbs =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["USER"] = (Pop3Verb.User, 1, 1, "USER name"),
            ["PASS"] = (Pop3Verb.Pass, 1, 1, "PASS string"),
            ["APOP"] = (Pop3Verb.Apop, 2, 2, "APOP name digest"),
            ["AUTH"] = (Pop3Verb.Auth, 1, 2, "AUTH mechanism [initial-response]"),
            ["STLS"] = (Pop3Verb.Stls, 0, 0, "STLS"),
            ["CAPA"] = (Pop3Verb.Capa, 0, 0, "CAPA"),
            ["QUIT"] = (Pop3Verb.Quit, 0, 0, "QUIT"),
            ["STAT"] = (Pop3Verb.Stat, 0, 0, "STAT"),
            ["LIST"] = (Pop3Verb.List, 0, 1, "LIST [msg]"),
            ["RETR"] = (Pop3Verb.Retr, 1, 1, "RETR msg"),
            ["DELE"] = (Pop3Verb.Dele, 1, 1, "DELE msg"),
            ["NOOP"] = (Pop3Verb.Noop, 0, 0, "NOOP"),
            ["RSET"] = (Pop3Verb.Rset, 0, 0, "RSET"),
            ["TOP"] = (Pop3Verb.Top, 2, 2, "TOP msg n"),
            ["UIDL"] = (Pop3Verb.Uidl, 0, 1, "UIDL [msg]"),
        };

    /// <summary>Parses a line; never throws.</summary>
    public static Pop3ParseResult Parse(string line)
    {
        int space = line.IndexOf(' ');
        string keyword = space < 0 ? line : line[..space];
        string rest = space < 0 ? "" : line[(space + 1)..];
        string shown = keyword.Length is >= 3 and <= 4 && keyword.All(char.IsAsciiLetter) ? keyword.ToUpperInvariant() : "";
        if (!Verbs.TryGetValue(keyword, out var spec))
        {
            return Pop3ParseResult.Fail(line.Length == 0 ? "Empty command line" : "Unknown command", null);
        }
        // RFC 1939 §7: a server may treat spaces in the PASS argument as part of the password.
        string[] args = spec.Verb == Pop3Verb.Pass
            ? (rest.Length > 0 ? [rest] : [])
            : rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (args.Length < spec.Min || args.Length > spec.Max || args.Any(a => a.Any(c => c < 0x20 || c == 0x7F)))
        {
            return Pop3ParseResult.Fail($"Syntax: {spec.Syntax}", shown);
        }
        int? number = null, lines = null;
        if (spec.Verb is Pop3Verb.List or Pop3Verb.Uidl or Pop3Verb.Retr or Pop3Verb.Dele or Pop3Verb.Top && args.Length > 0)
        {
            // RFC 1939 §5: message numbers start at 1.
            if (!TryNumber(args[0], out int n) || n < 1)
            {
                return Pop3ParseResult.Fail($"Invalid message number '{args[0]}'", shown);
            }
            number = n;
        }
        if (spec.Verb == Pop3Verb.Top)
        {
            // RFC 1939 §7: n must be non-negative.
            if (!TryNumber(args[1], out int n))
            {
                return Pop3ParseResult.Fail($"Invalid line count '{args[1]}'", shown);
            }
            lines = n;
        }
        return Pop3ParseResult.Ok(new Pop3Command(spec.Verb, args, number, lines));
    }

    // Digits only: int.Parse would take signs and spaces.
    private static bool TryNumber(string text, out int value)
    {
        value = 0;
        return text.Length is > 0 and <= 10 && text.All(char.IsAsciiDigit)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
