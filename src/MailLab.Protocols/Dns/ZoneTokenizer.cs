using System.Text;

namespace MailLab.Protocols.Dns;

/// <summary>One problem in a zone file; line and column are 1-based.</summary>
public sealed record ZoneError(string File, int Line, int Column, string Problem)
{
    /// <summary>"uc.test.zone:12:5: problem".</summary>
    public override string ToString() => $"{File}:{Line}:{Column}: {Problem}";
}

/// <summary>A word of a zone file with where it starts; quoted words keep their decoded bytes.</summary>
internal sealed record ZoneToken(string Text, int Line, int Column, bool Quoted)
{
    /// <summary>The word as an error message may show it: a bounded, escaped excerpt (<see cref="ZoneText.Excerpt"/>).</summary>
    public string Shown => ZoneText.Excerpt(Text);
}

/// <summary>
/// How zone-file text is echoed in errors. A zone file is whatever a student saved (or pointed a
/// link at), and errors go to the trace and the console, so an error never quotes more than
/// <see cref="MaxExcerpt"/> characters of a word, and never a control character.
/// </summary>
public static class ZoneText
{
    /// <summary>The most characters of one word an error quotes.</summary>
    public const int MaxExcerpt = 80;

    /// <summary>The first <see cref="MaxExcerpt"/> characters of <paramref name="text"/>, escaped, with "..." when cut.</summary>
    public static string Excerpt(string text) => Escape(text, MaxExcerpt);

    /// <summary>
    /// <paramref name="text"/> with control and format characters as \xHH or \uHHHH, so a CR, an ESC
    /// sequence or a bidi override cannot forge a log line or restyle a terminal.
    /// </summary>
    public static string Escape(string text, int max = int.MaxValue)
    {
        var sb = new StringBuilder();
        int n = 0;
        foreach (Rune r in text.EnumerateRunes())
        {
            if (n++ == max)
            {
                sb.Append($"... ({text.Length} characters)");
                break;
            }
            if (r.Value < 0x20 || r.Value is >= 0x7F and < 0xA0) sb.Append($"\\x{r.Value:X2}");
            else if (Rune.GetUnicodeCategory(r) is System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.LineSeparator
                     or System.Globalization.UnicodeCategory.ParagraphSeparator) sb.Append($"\\u{r.Value:X4}");
            else sb.Append(r.ToString());
        }
        return sb.ToString();
    }
}

/// <summary>One logical entry: the tokens of a line, or of several lines joined by parentheses.</summary>
internal sealed record ZoneEntry(IReadOnlyList<ZoneToken> Tokens, bool OwnerOmitted, int Line);

/// <summary>
/// Splits master-file text into entries (RFC 1035 §5.1): ';' comments, '(' ')' to continue an
/// entry over lines, quoted strings, and a line starting with a blank meaning "same owner as before".
/// </summary>
internal static class ZoneTokenizer
{
    public static List<ZoneEntry> Split(string text, string file, List<ZoneError> errors)
    {
        var entries = new List<ZoneEntry>();
        var tokens = new List<ZoneToken>();
        int line = 1, col = 1, i = 0;
        int parens = 0, parenLine = 0, parenCol = 0;
        bool ownerOmitted = false, lineStart = true;
        int entryLine = 1;

        void Finish()
        {
            if (tokens.Count > 0) entries.Add(new ZoneEntry(tokens.ToList(), ownerOmitted, entryLine));
            tokens.Clear();
        }

        while (i < text.Length)
        {
            char c = text[i];
            if (lineStart && parens == 0 && tokens.Count == 0)
            {
                ownerOmitted = c is ' ' or '\t';
                entryLine = line;
            }
            lineStart = false;
            if (c == '\n')
            {
                if (parens == 0) Finish();
                i++; line++; col = 1; lineStart = true;
                continue;
            }
            if (c == ';')
            {
                while (i < text.Length && text[i] != '\n') { i++; col++; }
                continue;
            }
            if (c is ' ' or '\t' or '\r')
            {
                i++; col++;
                continue;
            }
            if (c == '(')
            {
                if (parens++ == 0) (parenLine, parenCol) = (line, col);
                i++; col++;
                continue;
            }
            if (c == ')')
            {
                if (parens == 0) errors.Add(new ZoneError(file, line, col, "')' without a matching '('"));
                else parens--;
                i++; col++;
                continue;
            }
            int startLine = line, startCol = col;
            var sb = new StringBuilder();
            if (c == '"')
            {
                i++; col++;
                bool closed = false;
                while (i < text.Length)
                {
                    char q = text[i];
                    if (q == '"') { i++; col++; closed = true; break; }
                    if (q == '\n') break; // a quoted string does not run over lines
                    if (q == '\\' && i + 1 < text.Length && text[i + 1] != '\n')
                    {
                        sb.Append(q).Append(text[i + 1]);
                        i += 2; col += 2;
                        continue;
                    }
                    sb.Append(q); i++; col++;
                }
                if (!closed)
                {
                    errors.Add(new ZoneError(file, startLine, startCol, "quoted string is not closed on its line (missing '\"')"));
                }
                tokens.Add(new ZoneToken(sb.ToString(), startLine, startCol, true));
                continue;
            }
            while (i < text.Length && text[i] is not (' ' or '\t' or '\r' or '\n' or ';' or '(' or ')' or '"'))
            {
                if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] != '\n')
                {
                    sb.Append(text[i]).Append(text[i + 1]);
                    i += 2; col += 2;
                    continue;
                }
                sb.Append(text[i]); i++; col++;
            }
            tokens.Add(new ZoneToken(sb.ToString(), startLine, startCol, false));
        }
        if (parens > 0)
        {
            errors.Add(new ZoneError(file, parenLine, parenCol, "'(' is never closed with ')'"));
        }
        Finish();
        return entries;
    }

    /// <summary>
    /// Decodes the escapes of a character-string (RFC 1035 §5.1): \X is X, \DDD is the octet DDD.
    /// Returns null (and the column offset of the bad escape) for a \DDD above 255.
    /// </summary>
    public static byte[]? DecodeString(string raw, out int badAt)
    {
        badAt = -1;
        var bytes = new List<byte>(raw.Length);
        var plain = new StringBuilder();
        void Flush()
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(plain.ToString()));
            plain.Clear();
        }
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] != '\\' || i + 1 >= raw.Length)
            {
                plain.Append(raw[i]);
                continue;
            }
            Flush();
            if (i + 3 < raw.Length && char.IsAsciiDigit(raw[i + 1]) && char.IsAsciiDigit(raw[i + 2]) && char.IsAsciiDigit(raw[i + 3]))
            {
                int value = (raw[i + 1] - '0') * 100 + (raw[i + 2] - '0') * 10 + (raw[i + 3] - '0');
                if (value > 255)
                {
                    badAt = i;
                    return null;
                }
                bytes.Add((byte)value);
                i += 3;
                continue;
            }
            plain.Append(raw[i + 1]);
            i++;
        }
        Flush();
        return bytes.ToArray();
    }
}
