using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace MailLab.MailAuth.Spf;

/// <summary>Mechanism kinds of RFC 7208 §5.</summary>
public enum SpfMechanismKind
{
    All,
    Include,
    A,
    Mx,
    Ptr,
    Ip4,
    Ip6,
    Exists,
}

/// <summary>A term of an SPF record: a directive or a modifier (RFC 7208 §4.6.1).</summary>
public abstract record SpfTerm(string Text);

/// <summary>A directive: qualifier, mechanism, optional domain-spec / network and dual CIDR lengths.</summary>
public sealed record SpfMechanism(
    string Text, char Qualifier, SpfMechanismKind Kind, string? DomainSpec,
    IPAddress? Network, int? Cidr4, int? Cidr6) : SpfTerm(Text);

/// <summary>A modifier name=value (redirect, exp, or unknown and ignored).</summary>
public sealed record SpfModifier(string Text, string Name, string Value) : SpfTerm(Text);

/// <summary>A parsed SPF record (RFC 7208 §4.6, §12 ABNF).</summary>
public sealed partial record SpfRecord(IReadOnlyList<SpfTerm> Terms)
{
    public SpfModifier? Redirect => Terms.OfType<SpfModifier>().FirstOrDefault(m => m.Name == "redirect");
    public SpfModifier? Exp => Terms.OfType<SpfModifier>().FirstOrDefault(m => m.Name == "exp");

    /// <summary>True when the text starts an SPF record: "v=spf1" then SP or end (RFC 7208 §4.5).</summary>
    public static bool IsSpfRecord(string text) =>
        text.StartsWith("v=spf1", StringComparison.OrdinalIgnoreCase) && (text.Length == 6 || text[6] == ' ');

    /// <summary>Parses the whole record; any syntax error gives the error text (permerror, RFC 7208 §4.6).</summary>
    public static (SpfRecord? Record, string? Error) Parse(string text)
    {
        if (!IsSpfRecord(text)) return (null, "not an SPF record");
        var terms = new List<SpfTerm>();
        // terms = *( 1*SP ( directive / modifier ) ) *SP
        foreach (var raw in text[6..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var (term, error) = ParseTerm(raw);
            if (error is not null) return (null, error);
            terms.Add(term!);
        }
        var modifiers = terms.OfType<SpfModifier>().ToList();
        if (modifiers.Count(m => m.Name == "redirect") > 1) return (null, "more than one redirect modifier");
        if (modifiers.Count(m => m.Name == "exp") > 1) return (null, "more than one exp modifier");
        return (new SpfRecord(terms), null);
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_.\-]*=")]
    private static partial Regex ModifierStart();

    // ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT); ip6-cidr-length = "/" ("0" / %x31-39 0*2DIGIT)
    [GeneratedRegex(@"^(?<rest>.*?)(?:/(?<c4>0|[1-9][0-9]?))?(?://(?<c6>0|[1-9][0-9]{0,2}))?$", RegexOptions.Singleline)]
    private static partial Regex DualCidr();

    private static (SpfTerm?, string?) ParseTerm(string raw)
    {
        if (ModifierStart().IsMatch(raw))
        {
            var eq = raw.IndexOf('=');
            var name = raw[..eq].ToLowerInvariant();
            var value = raw[(eq + 1)..];
            if (name is "redirect" or "exp")
            {
                var err = ValidateDomainSpec(value);
                if (err is not null) return (null, $"{name}: {err}");
            }
            else if (SpfMacro.Validate(value, explain: false) is { } err)
            {
                return (null, $"modifier {name}: {err}"); // unknown-modifier = name "=" macro-string
            }
            return (new SpfModifier(raw, name, value), null);
        }

        var qualifier = '+';
        var body = raw;
        if ("+-~?".Contains(raw[0])) { qualifier = raw[0]; body = raw[1..]; }
        var end = body.IndexOfAny([':', '/']);
        var nameText = (end < 0 ? body : body[..end]).ToLowerInvariant();
        var arg = end < 0 ? "" : body[end..];
        SpfMechanismKind kind;
        switch (nameText)
        {
            case "all": kind = SpfMechanismKind.All; break;
            case "include": kind = SpfMechanismKind.Include; break;
            case "a": kind = SpfMechanismKind.A; break;
            case "mx": kind = SpfMechanismKind.Mx; break;
            case "ptr": kind = SpfMechanismKind.Ptr; break;
            case "ip4": kind = SpfMechanismKind.Ip4; break;
            case "ip6": kind = SpfMechanismKind.Ip6; break;
            case "exists": kind = SpfMechanismKind.Exists; break;
            default: return (null, $"unknown mechanism '{raw}'");
        }
        return kind switch
        {
            SpfMechanismKind.All => arg.Length == 0
                ? (new SpfMechanism(raw, qualifier, kind, null, null, null, null), null)
                : (null, $"'all' takes no argument: '{raw}'"),
            SpfMechanismKind.Include or SpfMechanismKind.Exists => ParseDomainOnly(raw, qualifier, kind, arg, required: true),
            SpfMechanismKind.Ptr => ParseDomainOnly(raw, qualifier, kind, arg, required: false),
            SpfMechanismKind.A or SpfMechanismKind.Mx => ParseWithCidr(raw, qualifier, kind, arg),
            _ => ParseIp(raw, qualifier, kind, arg),
        };
    }

    private static (SpfTerm?, string?) ParseDomainOnly(string raw, char q, SpfMechanismKind kind, string arg, bool required)
    {
        if (arg.Length == 0)
            return required ? (null, $"'{raw}' needs a domain") : (new SpfMechanism(raw, q, kind, null, null, null, null), null);
        if (arg[0] != ':') return (null, $"bad argument in '{raw}'");
        var spec = arg[1..];
        var err = ValidateDomainSpec(spec);
        return err is null ? (new SpfMechanism(raw, q, kind, spec, null, null, null), null) : (null, $"'{raw}': {err}");
    }

    private static (SpfTerm?, string?) ParseWithCidr(string raw, char q, SpfMechanismKind kind, string arg)
    {
        var m = DualCidr().Match(arg);
        var rest = m.Groups["rest"].Value;
        int? c4 = m.Groups["c4"].Success ? int.Parse(m.Groups["c4"].Value) : null;
        int? c6 = m.Groups["c6"].Success ? int.Parse(m.Groups["c6"].Value) : null;
        if (c4 > 32 || c6 > 128) return (null, $"CIDR length out of range in '{raw}'");
        string? spec = null;
        if (rest.Length > 0)
        {
            if (rest[0] != ':') return (null, $"bad argument in '{raw}'");
            spec = rest[1..];
            if (ValidateDomainSpec(spec) is { } err) return (null, $"'{raw}': {err}");
        }
        return (new SpfMechanism(raw, q, kind, spec, null, c4, c6), null);
    }

    private static (SpfTerm?, string?) ParseIp(string raw, char q, SpfMechanismKind kind, string arg)
    {
        if (arg.Length < 2 || arg[0] != ':') return (null, $"'{raw}' needs an address");
        var text = arg[1..];
        var slash = text.IndexOf('/');
        var addr = slash < 0 ? text : text[..slash];
        int? len = null;
        if (slash >= 0)
        {
            var lenText = text[(slash + 1)..];
            var max = kind == SpfMechanismKind.Ip4 ? 32 : 128;
            if (lenText.Length == 0 || !lenText.All(char.IsAsciiDigit) || (lenText.Length > 1 && lenText[0] == '0')
                || !int.TryParse(lenText, out var l) || l > max)
                return (null, $"bad CIDR length in '{raw}'");
            len = l;
        }
        if (kind == SpfMechanismKind.Ip4)
        {
            if (!TryParseIp4(addr, out var ip4)) return (null, $"bad IPv4 address in '{raw}'");
            return (new SpfMechanism(raw, q, kind, null, ip4, len ?? 32, null), null);
        }
        if (!addr.Contains(':') || addr.Contains('%') || !IPAddress.TryParse(addr, out var ip6)
            || ip6.AddressFamily != AddressFamily.InterNetworkV6)
            return (null, $"bad IPv6 address in '{raw}'");
        return (new SpfMechanism(raw, q, kind, null, ip6, null, len ?? 128), null);
    }

    /// <summary>Strict dotted quad (RFC 7208 §12 ip4-network: no leading zeros, 4 parts).</summary>
    public static bool TryParseIp4(string text, out IPAddress? address)
    {
        address = null;
        var parts = text.Split('.');
        if (parts.Length != 4) return false;
        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            var p = parts[i];
            if (p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit) || (p.Length > 1 && p[0] == '0')) return false;
            var v = int.Parse(p);
            if (v > 255) return false;
            bytes[i] = (byte)v;
        }
        address = new IPAddress(bytes);
        return true;
    }

    /// <summary>domain-spec = macro-string domain-end (RFC 7208 §7.1); null when valid.</summary>
    public static string? ValidateDomainSpec(string spec)
    {
        if (spec.Length == 0) return "empty domain-spec";
        if (SpfMacro.Validate(spec, explain: false) is { } err) return err;
        // domain-end = ( "." toplabel [ "." ] ) / macro-expand
        if (spec.EndsWith('}'))
        {
            var open = spec.LastIndexOf("%{", StringComparison.Ordinal);
            if (open >= 0 && !spec[open..].Contains(' ')) return null;
        }
        var body = spec.EndsWith('.') ? spec[..^1] : spec;
        var dot = body.LastIndexOf('.');
        if (dot < 0) return $"domain-spec '{spec}' has no top label";
        var top = body[(dot + 1)..];
        return IsTopLabel(top) ? null : $"invalid top label '{top}' in '{spec}'";
    }

    // toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
    private static bool IsTopLabel(string label)
    {
        if (label.Length == 0 || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')) return false;
        if (label.All(char.IsAsciiLetterOrDigit)) return label.Any(char.IsAsciiLetter);
        return char.IsAsciiLetterOrDigit(label[0]) && char.IsAsciiLetterOrDigit(label[^1]);
    }
}
