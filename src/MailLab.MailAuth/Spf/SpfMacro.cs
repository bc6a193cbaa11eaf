using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MailLab.MailAuth.Spf;

/// <summary>The values macros expand to (RFC 7208 §7.2).</summary>
public sealed class SpfMacroContext
{
    public required IPAddress Ip { get; init; }
    public required string Sender { get; init; }
    public required string Domain { get; init; }
    public required string Helo { get; init; }
    public string? Receiver { get; init; }
    public DateTimeOffset Now { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The validated domain name for %{p}; asked for only when the macro is used.</summary>
    public Func<CancellationToken, Task<string>>? ValidatedDomain { get; init; }
}

/// <summary>Macro strings of RFC 7208 §7: syntax check and expansion.</summary>
public static class SpfMacro
{
    private abstract record Part;
    private sealed record Literal(string Text) : Part;
    private sealed record Macro(char Letter, bool Upper, int Digits, bool Reverse, string Delimiters) : Part;

    private const string Delimiters = ".-+,/_=";

    /// <summary>Syntax-checks a macro-string; returns null when valid, else the error.</summary>
    public static string? Validate(string text, bool explain) => Parse(text, explain, out _);

    /// <summary>Expands a macro-string; returns the error instead when its syntax is bad.</summary>
    public static async Task<(string? Value, string? Error)> ExpandAsync(
        string text, SpfMacroContext ctx, bool explain, CancellationToken ct = default)
    {
        var error = Parse(text, explain, out var parts);
        if (error is not null) return (null, error);
        var sb = new StringBuilder();
        foreach (var part in parts)
        {
            if (part is Literal l) { sb.Append(l.Text); continue; }
            var m = (Macro)part;
            var raw = await ValueOfAsync(m.Letter, ctx, ct).ConfigureAwait(false);
            var value = Transform(raw, m);
            // Uppercase letters are URL-escaped (RFC 7208 §7.3).
            sb.Append(m.Upper ? Uri.EscapeDataString(value) : value);
        }
        return (sb.ToString(), null);
    }

    private static string Transform(string value, Macro m)
    {
        if (m.Digits == 0 && !m.Reverse && m.Delimiters.Length == 0) return value;
        var delims = m.Delimiters.Length == 0 ? "." : m.Delimiters;
        var parts = value.Split(delims.ToCharArray()).ToList();
        if (m.Reverse) parts.Reverse();
        if (m.Digits > 0 && m.Digits < parts.Count) parts = parts.Skip(parts.Count - m.Digits).ToList();
        return string.Join('.', parts);
    }

    private static async Task<string> ValueOfAsync(char letter, SpfMacroContext ctx, CancellationToken ct)
    {
        var at = ctx.Sender.LastIndexOf('@');
        var local = at < 0 ? "postmaster" : ctx.Sender[..at];
        if (local.Length == 0) local = "postmaster"; // RFC 7208 §4.3
        var senderDomain = at < 0 ? ctx.Sender : ctx.Sender[(at + 1)..];
        var v6 = ctx.Ip.AddressFamily == AddressFamily.InterNetworkV6;
        return letter switch
        {
            's' => local + "@" + senderDomain,
            'l' => local,
            'o' => senderDomain,
            'd' => ctx.Domain,
            'i' => v6 ? Nibbles(ctx.Ip) : ctx.Ip.ToString(),
            'p' => ctx.ValidatedDomain is null ? "unknown" : await ctx.ValidatedDomain(ct).ConfigureAwait(false),
            'v' => v6 ? "ip6" : "in-addr",
            'h' => ctx.Helo,
            'c' => ctx.Ip.ToString(),
            'r' => ctx.Receiver ?? "unknown",
            't' => ctx.Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => "",
        };
    }

    /// <summary>IPv6 address as dot-separated nibbles (RFC 7208 §7.3 "i" macro).</summary>
    public static string Nibbles(IPAddress ip)
    {
        var hex = Convert.ToHexStringLower(ip.GetAddressBytes());
        return string.Join('.', hex.ToCharArray());
    }

    private static string? Parse(string text, bool explain, out List<Part> parts)
    {
        parts = [];
        var literal = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '%')
            {
                // macro-literal = %x21-24 / %x26-7E; explain-strings also allow SP (RFC 7208 §7.1).
                if (c < 0x21 || c > 0x7E) { if (!(explain && c == ' ')) return $"invalid character 0x{(int)c:X2} in macro string"; }
                literal.Append(c);
                continue;
            }
            if (i + 1 >= text.Length) return "'%' at end of macro string";
            var n = text[++i];
            switch (n)
            {
                case '%': literal.Append('%'); continue;
                case '_': literal.Append(' '); continue;
                case '-': literal.Append("%20"); continue;
                case '{': break;
                default: return $"invalid macro escape '%{n}'";
            }
            var close = text.IndexOf('}', i);
            if (close < 0) return "unterminated macro";
            var body = text[(i + 1)..close];
            i = close;
            var error = ParseMacro(body, explain, out var macro);
            if (error is not null) return error;
            if (literal.Length > 0) { parts.Add(new Literal(literal.ToString())); literal.Clear(); }
            parts.Add(macro!);
        }
        if (literal.Length > 0) parts.Add(new Literal(literal.ToString()));
        return null;
    }

    private static string? ParseMacro(string body, bool explain, out Macro? macro)
    {
        macro = null;
        if (body.Length == 0) return "empty macro";
        var letter = char.ToLowerInvariant(body[0]);
        if (!"slodiphv".Contains(letter) && !(explain && "crt".Contains(letter)))
            return $"invalid macro letter '{body[0]}'";
        var j = 1;
        var digitsStart = j;
        while (j < body.Length && char.IsAsciiDigit(body[j])) j++;
        var digits = 0;
        if (j > digitsStart)
        {
            if (!int.TryParse(body.AsSpan(digitsStart, j - digitsStart), out digits) || digits == 0)
                return "macro transformer digit must be nonzero"; // RFC 7208 §7.3
        }
        var reverse = false;
        if (j < body.Length && (body[j] == 'r' || body[j] == 'R')) { reverse = true; j++; }
        var delims = body[j..];
        if (delims.Any(d => !Delimiters.Contains(d))) return $"invalid macro delimiter in '{body}'";
        macro = new Macro(letter, char.IsUpper(body[0]), digits, reverse, delims);
        return null;
    }
}
