namespace MailLab.MailAuth.Dmarc;

/// <summary>
/// The tag=value grammar of a DMARC record (RFC 7489 §6.4, the DKIM tag-list of RFC 6376 §3.2).
/// Strict where the RFC is strict: a known tag with a value outside its grammar invalidates the record
/// (RFC 7489 §6.6.3 then says: ignore it, as if there were none).
/// </summary>
internal static class DmarcRecordParser
{
    public static DmarcRecord? Parse(string text, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "empty record";
            return null;
        }
        var tags = new List<(string Name, string Value)>();
        foreach (var part in text.Split(';'))
        {
            if (part.Trim().Length == 0) continue; // an empty tag (";;" or a trailing ";") is tolerated
            var eq = part.IndexOf('=');
            if (eq < 0)
            {
                error = $"'{part.Trim()}' is not a tag=value pair (RFC 7489 §6.4)";
                return null;
            }
            tags.Add((part[..eq].Trim(), part[(eq + 1)..].Trim()));
        }
        // RFC 7489 §6.3: v= must be the first tag and exactly "DMARC1".
        if (tags.Count == 0 || !tags[0].Name.Equals("v", StringComparison.Ordinal) || tags[0].Value != "DMARC1")
        {
            error = "the record must begin with v=DMARC1 (RFC 7489 §6.3)";
            return null;
        }
        var r = new DmarcRecord { Text = text };
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (rawName, value) in tags.Skip(1))
        {
            var name = rawName.ToLowerInvariant();
            if (!seen.Add(name))
            {
                error = $"tag {name}= appears twice (RFC 6376 §3.2)";
                return null;
            }
            string? problem = null;
            r = name switch
            {
                "p" => Policy(value, ref problem) is { } p ? r with { P = p } : r,
                "sp" => Policy(value, ref problem) is { } sp ? r with { Sp = sp } : r,
                "np" => Policy(value, ref problem) is { } np ? r with { Np = np } : r,
                "adkim" => Alignment(value, ref problem) is { } a ? r with { Adkim = a } : r,
                "aspf" => Alignment(value, ref problem) is { } s ? r with { Aspf = s } : r,
                "fo" => FailureOptions(value, ref problem) is { } fo ? r with { Fo = fo } : r,
                "pct" => Number(value, 0, 100, ref problem) is { } pct ? r with { Pct = (int)pct, HasPct = true } : r,
                "ri" => Number(value, 0, uint.MaxValue, ref problem) is { } ri ? r with { Ri = ri } : r,
                "rf" => ReportFormat(value, ref problem) ? r : r,
                "psd" => YesNo(value, "ynu", ref problem) is { } psd ? r with { Psd = psd } : r,
                "t" => YesNo(value, "yn", ref problem) is { } t ? r with { Testing = t == 'y' } : r,
                "rua" => Uris(value, ref problem) is { } rua ? r with { Rua = rua } : r,
                "ruf" => Uris(value, ref problem) is { } ruf ? r with { Ruf = ruf } : r,
                _ => r, // RFC 7489 §6.3: unknown tags MUST be ignored
            };
            if (problem is not null)
            {
                error = $"{name}={value}: {problem}";
                return null;
            }
        }
        // RFC 7489 §6.6.3: a record without p= is still usable when it has a valid rua (then p=none).
        if (r.P is null && r.Rua.Count == 0)
        {
            error = "required tag p= is missing and there is no rua= (RFC 7489 §6.6.3)";
            return null;
        }
        return r;
    }

    private static DmarcPolicy? Policy(string v, ref string? problem)
    {
        switch (v.ToLowerInvariant())
        {
            case "none": return DmarcPolicy.None;
            case "quarantine": return DmarcPolicy.Quarantine;
            case "reject": return DmarcPolicy.Reject;
            default:
                problem = "policy must be none, quarantine or reject (RFC 7489 §6.3)";
                return null;
        }
    }

    private static AlignmentMode? Alignment(string v, ref string? problem)
    {
        switch (v.ToLowerInvariant())
        {
            case "r": return AlignmentMode.Relaxed;
            case "s": return AlignmentMode.Strict;
            default:
                problem = "alignment mode must be r or s (RFC 7489 §6.3)";
                return null;
        }
    }

    private static List<string>? FailureOptions(string v, ref string? problem)
    {
        var opts = v.Split(':').Select(o => o.Trim().ToLowerInvariant()).ToList();
        if (opts.Count == 0 || opts.Any(o => o is not ("0" or "1" or "d" or "s")))
        {
            problem = "fo must be a colon-separated list of 0, 1, d, s (RFC 7489 §6.3)";
            return null;
        }
        return opts.Distinct().Order(StringComparer.Ordinal).ToList();
    }

    private static long? Number(string v, long min, long max, ref string? problem)
    {
        if (v.Length > 0 && v.Length <= 10 && v.All(char.IsAsciiDigit) && long.TryParse(v, out var n) && n >= min && n <= max) return n;
        problem = $"must be a number from {min} to {max} (RFC 7489 §6.3)";
        return null;
    }

    private static bool ReportFormat(string v, ref string? problem)
    {
        // RFC 7489 §6.3: a colon-separated list of formats; "afrf" is the only one registered.
        if (v.Split(':').All(f => f.Trim().Equals("afrf", StringComparison.OrdinalIgnoreCase))) return true;
        problem = "report format must be afrf (RFC 7489 §6.3, §12.3)";
        return false;
    }

    private static char? YesNo(string v, string allowed, ref string? problem)
    {
        var l = v.ToLowerInvariant();
        if (l.Length == 1 && allowed.Contains(l[0])) return l[0];
        problem = $"must be one of {string.Join(", ", allowed.ToCharArray())} (RFC 9989 §4.7)";
        return null;
    }

    /// <summary>
    /// A comma-separated list of URIs, each with an optional "!size[kmgt]" (RFC 7489 §6.4). Only mailto:
    /// is a scheme receivers must support; other schemes and unusable mailto URIs are skipped, not errors.
    /// </summary>
    private static List<DmarcReportUri>? Uris(string v, ref string? problem)
    {
        var list = new List<DmarcReportUri>();
        foreach (var raw in v.Split(','))
        {
            var item = raw.Trim();
            if (item.Length == 0) continue;
            long max = 0;
            var bang = item.LastIndexOf('!');
            if (bang >= 0)
            {
                var size = item[(bang + 1)..].Replace(" ", "");
                item = item[..bang].Trim();
                if (size.Length == 0 || !TryParseSize(size, out max))
                {
                    problem = $"'{size}' is not a size (digits with an optional k, m, g or t; RFC 7489 §6.4)";
                    return null;
                }
            }
            if (!item.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase)) continue;
            var address = Uri.UnescapeDataString(item[7..]).Replace(" ", "");
            var q = address.IndexOf('?');
            if (q >= 0) address = address[..q];
            var at = address.LastIndexOf('@');
            if (at <= 0 || at == address.Length - 1 || address.StartsWith('/')) continue;
            list.Add(new DmarcReportUri(address, max));
        }
        return list;
    }

    private static bool TryParseSize(string s, out long bytes)
    {
        bytes = 0;
        long unit = 1;
        var last = char.ToLowerInvariant(s[^1]);
        if (!char.IsAsciiDigit(last))
        {
            unit = last switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, 't' => 1L << 40, _ => 0 };
            s = s[..^1];
        }
        if (unit == 0 || s.Length == 0 || s.Length > 12 || !s.All(char.IsAsciiDigit)) return false;
        bytes = long.Parse(s) * unit;
        return true;
    }
}
