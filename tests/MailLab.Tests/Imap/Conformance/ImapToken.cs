using System.Text;

namespace MailLab.Tests.Imap.Conformance;

/// <summary>One IMAP value of a server reply or of an imaptest reply pattern.</summary>
public abstract record ImapToken;

/// <summary>An atom or number; a fetch item with a section (<c>BODY[HEADER.FIELDS (FROM)]&lt;0&gt;</c>) is one atom.</summary>
public sealed record AtomToken(string Text) : ImapToken;

/// <summary>A quoted string or a literal (its bytes as Latin-1 characters).</summary>
public sealed record StringToken(string Value) : ImapToken;

/// <summary>A parenthesised list, or a bracketed response code (<paramref name="Open"/> is '(' or '[').</summary>
public sealed record ListToken(char Open, IReadOnlyList<ImapToken> Items, ListRules? Rules = null) : ImapToken;

/// <summary>Pattern <c>$</c>: matches any value, lists included.</summary>
public sealed record AnyToken : ImapToken;

/// <summary>Pattern <c>$n</c>: a message sequence number as it was when the command started.</summary>
public sealed record SeqVarToken(int Seq) : ImapToken;

/// <summary>Pattern <c>$name</c> alone: compared when bound, else bound to the reply's value.</summary>
public sealed record VarToken(string Name) : ImapToken;

/// <summary>Pattern text that may contain <c>${name}</c> references (all bound when matched).</summary>
public sealed record TemplateToken(IReadOnlyList<TemplateSegment> Segments) : ImapToken;

/// <summary>A piece of a template: plain text, a variable name, or <c>${case:text}</c> (case-sensitive text).</summary>
public sealed record TemplateSegment(string Text, bool IsVariable, bool CaseSensitive = false);

/// <summary>The imaptest <c>$!</c> list directives (scripted_test.md "Directives").</summary>
public sealed record ListRules(bool Ordered, int Chunk, bool Extra, IReadOnlyList<string> Ignore, IReadOnlyList<string> Ban)
{
    public static readonly ListRules Exact = new(true, 1, false, [], []);
    public static readonly ListRules AnyOrder = new(false, 1, true, [], []);
    public static readonly ListRules Pairs = new(false, 2, true, [], []);
    public static readonly ListRules Flags = new(false, 1, false, ["\\recent"], []);
}

/// <summary>
/// Tokenizer for server replies (literals inline as <c>{n}\r\n</c> + n characters) and, in pattern
/// mode, for imaptest reply patterns (variables, directives, <c>{{{ ... }}}</c> multi-line text).
/// Lenient: reply text after a status word can hold anything, so it never throws.
/// </summary>
public sealed class ImapTokenizer
{
    private readonly string s;
    private readonly bool pattern;
    private int pos;

    private ImapTokenizer(string text, bool pattern)
    {
        s = text;
        this.pattern = pattern;
    }

    public static List<ImapToken> Reply(string line) => new ImapTokenizer(line, false).Sequence(null);

    public static List<ImapToken> Pattern(string line) => new ImapTokenizer(line, true).Sequence(null);

    private List<ImapToken> Sequence(char? close)
    {
        var items = new List<ImapToken>();
        while (true)
        {
            while (pos < s.Length && s[pos] == ' ') pos++;
            if (pos >= s.Length) return items;
            var c = s[pos];
            if (close is not null && c == close) { pos++; return items; }
            if (c is '(' or '[')
            {
                pos++;
                var inner = Sequence(c == '(' ? ')' : ']');
                items.Add(pattern ? WithDirectives(c, inner) : new ListToken(c, inner));
            }
            else if (c == '"') items.Add(Quoted());
            else if (pattern && (Starts("{{{") || Starts("~{{{"))) items.Add(MultiLine());
            else if (!pattern && LiteralLength() is { } n) items.Add(new StringToken(Take(n)));
            else items.Add(Atom(close));
        }
    }

    private bool Starts(string t) => string.CompareOrdinal(s, pos, t, 0, t.Length) == 0;

    private string Take(int n)
    {
        n = Math.Min(n, s.Length - pos);
        var v = s.Substring(pos, n);
        pos += n;
        return v;
    }

    /// <summary>At <c>{n}\r\n</c> or <c>~{n}\r\n</c> (RFC 3501 literal, RFC 3516 literal8): consumes it, returns n.</summary>
    private int? LiteralLength()
    {
        var p = pos;
        if (p < s.Length && s[p] == '~') p++;
        if (p >= s.Length || s[p] != '{') return null;
        var end = s.IndexOf('}', p);
        if (end < 0 || !int.TryParse(s.AsSpan(p + 1, end - p - 1).TrimEnd('+'), out var n)) return null;
        if (end + 3 > s.Length || string.CompareOrdinal(s, end + 1, "\r\n", 0, 2) != 0) return null;
        pos = end + 3;
        return n;
    }

    private ImapToken Quoted()
    {
        var sb = new StringBuilder();
        pos++;
        while (pos < s.Length && s[pos] != '"')
        {
            if (s[pos] == '\\' && pos + 1 < s.Length) pos++;
            sb.Append(s[pos++]);
        }
        pos++;
        return pattern ? Template(sb.ToString(), quoted: true) : new StringToken(sb.ToString());
    }

    /// <summary>Pattern text between <c>{{{\n</c> and <c>\n}}}</c>: the expected literal, line ends as LF.</summary>
    private ImapToken MultiLine()
    {
        pos = s.IndexOf("{{{", pos, StringComparison.Ordinal) + 3;
        if (pos < s.Length && s[pos] == '\n') pos++;
        var end = s.IndexOf("}}}", pos, StringComparison.Ordinal);
        if (end < 0) end = s.Length;
        var body = s[pos..end];
        pos = Math.Min(s.Length, end + 3);
        if (body.EndsWith('\n')) body = body[..^1];
        return new StringToken(body);
    }

    private ImapToken Atom(char? close)
    {
        var start = pos;
        var depth = 0;
        while (pos < s.Length)
        {
            var c = s[pos];
            if (c == '[') depth++;
            else if (c == ']' && depth > 0) depth--;
            else if (depth == 0 && (c is ' ' or '(' or ')' || c == close)) break;
            pos++;
        }
        if (pos == start) pos++;   // a stray ')' : keep going
        var text = s[start..pos];
        return pattern ? Template(text, quoted: false) : new AtomToken(text);
    }

    private static ImapToken Template(string text, bool quoted)
    {
        if (!quoted && text == "$") return new AnyToken();
        if (!quoted && text.Length > 1 && text[0] == '$' && text[1..].All(char.IsAsciiDigit)) return new SeqVarToken(int.Parse(text[1..]));
        var segs = ParseTemplate(text);
        if (!quoted && segs is [{ IsVariable: true } only] && (text == "$" + only.Text || text == "${" + only.Text + "}")) return new VarToken(only.Text);
        return new TemplateToken(segs);
    }

    /// <summary>Splits text at <c>$name</c>, <c>${name}</c>, <c>${case:text}</c>; <c>$$</c> is a literal '$'.</summary>
    public static List<TemplateSegment> ParseTemplate(string text)
    {
        var segs = new List<TemplateSegment>();
        var sb = new StringBuilder();
        void Flush() { if (sb.Length > 0) { segs.Add(new(sb.ToString(), false)); sb.Clear(); } }
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '$' || i + 1 >= text.Length) { sb.Append(text[i]); continue; }
            var n = text[i + 1];
            if (n == '$') { sb.Append('$'); i++; }
            else if (n == '{' && text.IndexOf('}', i) is var close and > 0)
            {
                Flush();
                var name = text[(i + 2)..close];
                segs.Add(name.StartsWith("case:", StringComparison.Ordinal) ? new(name[5..], false, true) : new(name, true));
                i = close;
            }
            else if (char.IsAsciiLetterOrDigit(n) || n == '_')
            {
                Flush();
                var j = i + 1;
                while (j < text.Length && (char.IsAsciiLetterOrDigit(text[j]) || text[j] == '_')) j++;
                segs.Add(new(text[(i + 1)..j], true));
                i = j - 1;
            }
            else sb.Append('$');
        }
        Flush();
        return segs;
    }

    /// <summary>Reads the leading <c>$!</c> directives of a pattern list (scripted_test.md "Directives").</summary>
    private static ListToken WithDirectives(char open, List<ImapToken> inner)
    {
        var directives = new List<string>();
        while (inner.Count > 0 && inner[0] is TemplateToken { Segments: [{ IsVariable: false } seg] } && seg.Text.StartsWith("$!", StringComparison.Ordinal))
        {
            directives.Add(seg.Text[2..].ToLowerInvariant());
            inner.RemoveAt(0);
        }
        if (directives.Count == 0) return new ListToken(open, inner);
        bool ordered = true, extraSet = false, extra = false;
        var chunk = 1;
        var ignore = new List<string>();
        var ban = new List<string>();
        foreach (var d in directives)
        {
            if (d == "ordered") ordered = true;
            else if (d.StartsWith("unordered", StringComparison.Ordinal)) { ordered = false; chunk = d.Contains('=') ? int.Parse(d[(d.IndexOf('=') + 1)..]) : 1; }
            else if (d == "noextra") { extra = false; extraSet = true; }
            else if (d == "extra") { extra = true; extraSet = true; }
            else if (d.StartsWith("ignore=", StringComparison.Ordinal)) ignore.Add(d[7..]);
            else if (d.StartsWith("ban=", StringComparison.Ordinal)) ban.Add(d[4..]);
        }
        // Unordered lists allow extra elements unless $!noextra; ordered ones do not unless $!extra.
        if (!extraSet) extra = !ordered;
        return new ListToken(open, inner, new ListRules(ordered, chunk, extra, ignore, ban));
    }
}
