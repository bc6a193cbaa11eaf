using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MailLab.Protocols.Dns;

/// <summary>What a zone file gave: its origin (the SOA owner), records, and every problem found.</summary>
public sealed record ZoneParseResult(string? Origin, IReadOnlyList<DnsRecord> Records, IReadOnlyList<ZoneError> Errors)
{
    /// <summary>True when the file had no errors and one SOA.</summary>
    public bool Ok => Errors.Count == 0 && Origin is not null;
}

/// <summary>
/// Reads RFC 1035 §5 master files without I/O: text in, records and errors (file, line, column) out.
/// Supports $ORIGIN, $TTL (RFC 2308 §4), '@', relative and absolute names, TTL units (1h, 2d, 1w),
/// an optional class IN before or after the TTL, parentheses, comments and quoted TXT with escapes.
/// </summary>
public static class ZoneFileParser
{
    private const uint MaxTtl = int.MaxValue; // RFC 2181 §8: TTLs are 31-bit

    /// <summary>Parses a whole zone file.</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="file">The name used in errors.</param>
    /// <param name="origin">The starting $ORIGIN (usually from the file name), absolute, without trailing dot.</param>
    public static ZoneParseResult Parse(string text, string file, string origin)
    {
        var errors = new List<ZoneError>();
        var records = ReadRecords(text, file, origin, errors);
        string? zone = CheckZone(records, file, errors);
        var ordered = errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList();
        return new ZoneParseResult(zone, records.Select(r => r.Record).ToList(), ordered);
    }

    /// <summary>
    /// Reads record lines that are not a whole zone (no SOA, names anywhere): the lab file's forged answers.
    /// The result's <see cref="ZoneParseResult.Origin"/> is null; only its errors say whether it is good.
    /// </summary>
    public static ZoneParseResult ParseRecords(string text, string file, string origin)
    {
        var errors = new List<ZoneError>();
        var records = ReadRecords(text, file, origin, errors);
        return new ZoneParseResult(null, records.Select(r => r.Record).ToList(), errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList());
    }

    private static List<(DnsRecord Record, ZoneToken At)> ReadRecords(string text, string file, string origin, List<ZoneError> errors)
    {
        var records = new List<(DnsRecord Record, ZoneToken At)>();
        origin = DnsNames.Normalize(origin);
        uint? defaultTtl = null, lastTtl = null;
        string? lastOwner = null;

        foreach (var entry in ZoneTokenizer.Split(text, file, errors))
        {
            var t = entry.Tokens;
            void Error(ZoneToken at, string problem) => errors.Add(new ZoneError(file, at.Line, at.Column, problem));

            if (!entry.OwnerOmitted && t[0].Text.StartsWith('$') && !t[0].Quoted)
            {
                string directive = t[0].Text.ToUpperInvariant();
                if (directive is "$ORIGIN" or "$TTL" && t.Count != 2)
                {
                    Error(t[0], $"{directive} takes one value");
                }
                else if (directive == "$ORIGIN")
                {
                    if (Name(t[1], origin, Error) is { } o) origin = o;
                }
                else if (directive == "$TTL")
                {
                    if (Ttl(t[1], Error) is { } dollarTtl) defaultTtl = dollarTtl;
                }
                else if (directive == "$INCLUDE")
                {
                    Error(t[0], "$INCLUDE is not supported in lab zones; put the records in this file");
                }
                else
                {
                    Error(t[0], $"unknown directive '{t[0].Shown}' (use $ORIGIN or $TTL)");
                }
                continue;
            }

            int k = 0;
            string? owner;
            ZoneToken ownerAt = t[0];
            if (entry.OwnerOmitted)
            {
                owner = lastOwner;
                if (owner is null) Error(t[0], "the line starts with a blank, so it means 'same owner as before', but there is no record before it");
            }
            else
            {
                owner = Name(t[k++], origin, Error);
            }

            uint? ttl = null;
            bool sawClass = false, bad = false;
            while (k < t.Count && !t[k].Quoted)
            {
                if (char.IsAsciiDigit(t[k].Text[0]) && ttl is null)
                {
                    ttl = Ttl(t[k], Error);
                    bad |= ttl is null;
                    k++;
                }
                else if (t[k].Text.Equals("IN", StringComparison.OrdinalIgnoreCase) && !sawClass)
                {
                    sawClass = true;
                    k++;
                }
                else if (t[k].Text.ToUpperInvariant() is "CH" or "HS" or "CS")
                {
                    Error(t[k], $"class {t[k].Shown} is not served; the lab serves class IN only");
                    bad = true;
                    k++;
                }
                else
                {
                    break;
                }
            }
            if (k >= t.Count)
            {
                Error(t[^1], "record type is missing (A, AAAA, MX, TXT, ...)");
                continue;
            }
            var typeToken = t[k++];
            if (!Enum.TryParse(typeToken.Text, ignoreCase: true, out DnsType type) || type is DnsType.OPT or DnsType.ANY or DnsType.HINFO
                || char.IsAsciiDigit(typeToken.Text[0]))
            {
                Error(typeToken, $"unknown record type '{typeToken.Shown}' (use SOA, NS, A, AAAA, MX, TXT, CNAME, PTR, SRV or TLSA)");
                continue;
            }
            var data = ZoneRData.Parse(type, typeToken, t.Skip(k).ToList(), origin, (at, p) => Error(at, p));
            ttl ??= defaultTtl ?? lastTtl ?? (data is SoaData soa ? soa.Minimum : null);
            if (ttl is null && !bad)
            {
                Error(typeToken, "no TTL: give one on the record or put '$TTL 1h' at the top of the file");
                bad = true;
            }
            if (owner is null || data is null || bad || ttl is null) continue;
            lastOwner = owner;
            lastTtl = ttl;
            records.Add((new DnsRecord(owner, type, ttl.Value, data), ownerAt));
        }
        return records;
    }

    /// <summary>Rules over the whole file: one SOA, every name inside it, CNAME alone at its name.</summary>
    private static string? CheckZone(List<(DnsRecord Record, ZoneToken At)> records, string file, List<ZoneError> errors)
    {
        var soas = records.Where(r => r.Record.Type == DnsType.SOA).ToList();
        if (soas.Count == 0)
        {
            if (errors.Count == 0) errors.Add(new ZoneError(file, 1, 1, "no SOA record: a zone file needs exactly one SOA, at the top of the zone"));
            return null;
        }
        foreach (var extra in soas.Skip(1))
        {
            errors.Add(new ZoneError(file, extra.At.Line, extra.At.Column, "a second SOA record; a zone has exactly one"));
        }
        string zone = soas[0].Record.Name;
        foreach (var (r, at) in records)
        {
            if (!DnsNames.IsAtOrBelow(r.Name, zone))
            {
                errors.Add(new ZoneError(file, at.Line, at.Column, $"{DnsNames.Absolute(r.Name)} is outside the zone {DnsNames.Absolute(zone)}"));
            }
        }
        // RFC 1034 §3.6.2: a name with a CNAME has no other data.
        foreach (var group in records.GroupBy(r => r.Record.Name))
        {
            var cname = group.FirstOrDefault(r => r.Record.Type == DnsType.CNAME);
            // RFC 4035 §2.5: a signed CNAME keeps its RRSIG and NSEC.
            var others = group.Where(r => !ReferenceEquals(r.Record, cname.Record) && r.Record.Type is not (DnsType.RRSIG or DnsType.NSEC)).ToList();
            if (cname.Record is not null && others.Count > 0)
            {
                var other = others[0];
                errors.Add(new ZoneError(file, other.At.Line, other.At.Column,
                    $"{DnsNames.Absolute(group.Key)} has a CNAME, so it cannot have other records (RFC 1034 §3.6.2)"));
            }
        }
        return zone;
    }

    /// <summary>A domain name: '@' is the origin, a trailing dot makes it absolute, else the origin is appended.</summary>
    internal static string? Name(ZoneToken t, string origin, Action<ZoneToken, string> error)
    {
        if (t.Quoted)
        {
            error(t, $"a name cannot be quoted: \"{t.Shown}\"");
            return null;
        }
        string s = t.Text;
        if (s == "@") return origin;
        if (s == ".") return "";
        string full = s.EndsWith('.') ? s[..^1] : origin.Length == 0 ? s : $"{s}.{origin}";
        full = full.ToLowerInvariant();
        if (full.Length > 253)
        {
            error(t, $"name '{t.Shown}' is longer than 253 characters (RFC 1035 §2.3.4)");
            return null;
        }
        foreach (string label in full.Split('.'))
        {
            if (label.Length is 0 or > 63)
            {
                error(t, $"'{t.Shown}' is not a valid name: labels are 1 to 63 characters (RFC 1035 §2.3.4)");
                return null;
            }
            if (!label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                error(t, $"'{t.Shown}' is not a valid name: use letters, digits, '-' and '_'");
                return null;
            }
        }
        return full;
    }

    /// <summary>A TTL in seconds, or with units s, m, h, d, w, combinable as in 1h30m.</summary>
    internal static uint? Ttl(ZoneToken t, Action<ZoneToken, string> error)
    {
        string s = t.Text;
        ulong total = 0, current = 0;
        bool digits = false, ok = s.Length > 0;
        foreach (char c in s)
        {
            if (char.IsAsciiDigit(c))
            {
                current = current * 10 + (ulong)(c - '0');
                digits = true;
                if (current > MaxTtl) { ok = false; break; }
                continue;
            }
            ulong unit = char.ToLowerInvariant(c) switch { 's' => 1, 'm' => 60, 'h' => 3600, 'd' => 86400, 'w' => 604800, _ => 0 };
            if (unit == 0 || !digits) { ok = false; break; }
            total += current * unit;
            current = 0;
            digits = false;
        }
        total += current;
        if (!ok || total > MaxTtl || (!digits && !char.IsAsciiLetter(s[^1])))
        {
            error(t, $"'{t.Shown}' is not a TTL: use seconds (3600) or units s, m, h, d, w (1h, 2d, 1h30m), at most {MaxTtl} seconds");
            return null;
        }
        return (uint)total;
    }

    /// <summary>An unsigned number in a range.</summary>
    internal static uint? Number(ZoneToken t, uint max, string what, Action<ZoneToken, string> error)
    {
        if (!t.Quoted && uint.TryParse(t.Text, NumberStyles.None, CultureInfo.InvariantCulture, out uint v) && v <= max) return v;
        error(t, $"{what} must be a whole number from 0 to {max}, not '{t.Shown}'");
        return null;
    }

    /// <summary>An IPv4 (A) or IPv6 (AAAA) address in its usual text form.</summary>
    internal static IPAddress? Address(ZoneToken t, AddressFamily family, Action<ZoneToken, string> error)
    {
        bool v4 = family == AddressFamily.InterNetwork;
        bool dotted = t.Text.Split('.') is { Length: 4 } parts && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit));
        if (IPAddress.TryParse(t.Text, out var a) && a.AddressFamily == family && (!v4 || dotted)) return a;
        error(t, v4 ? $"'{t.Shown}' is not an IPv4 address like 127.0.1.1" : $"'{t.Shown}' is not an IPv6 address like ::1");
        return null;
    }
}
