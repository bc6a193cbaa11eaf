using System.Globalization;
using System.Text.RegularExpressions;

namespace MailLab.Server.Relay;

/// <summary>The mode of an MTA-STS policy (RFC 8461 §5).</summary>
internal enum MtaStsMode
{
    /// <summary>No policy: opportunistic.</summary>
    None,

    /// <summary>Report failures, deliver anyway.</summary>
    Testing,

    /// <summary>Defer on failure.</summary>
    Enforce,
}

/// <summary>
/// One MTA-STS policy (RFC 8461 §3.2), parsed from the body of <c>https://mta-sts.DOMAIN/.well-known/mta-sts.txt</c>.
/// </summary>
internal sealed partial record MtaStsPolicy(MtaStsMode Mode, IReadOnlyList<string> Mx, TimeSpan MaxAge)
{
    /// <summary>RFC 8461 §3.2: max_age is at most 31557600 seconds (about a year).</summary>
    public const long MaxAgeLimit = 31_557_600;

    /// <summary>
    /// Whether <paramref name="host"/> matches one of the policy's mx patterns (RFC 8461 §4.1): an exact name, or
    /// <c>*.example.test</c> matching exactly one more leftmost label; case-insensitive, trailing dots ignored.
    /// </summary>
    public bool MatchesMx(string host)
    {
        host = host.TrimEnd('.').ToLowerInvariant();
        foreach (var p in Mx)
        {
            var pattern = p.TrimEnd('.').ToLowerInvariant();
            if (pattern.StartsWith("*.", StringComparison.Ordinal))
            {
                int dot = host.IndexOf('.');
                if (dot > 0 && host[(dot + 1)..] == pattern[2..]) return true;
            }
            else if (host == pattern)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Parses a policy body; null with <paramref name="error"/> when it is not a valid policy (RFC 8461 §3.2: a
    /// policy that does not parse is treated as no policy). Lines end in CRLF or LF; unknown keys are ignored.
    /// </summary>
    public static MtaStsPolicy? Parse(string body, out string? error)
    {
        string? version = null, mode = null, maxAge = null;
        var mx = new List<string>();
        int n = 0;
        foreach (var raw in body.Split('\n'))
        {
            n++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            int colon = line.IndexOf(':');
            if (colon <= 0)
            {
                error = $"line {n}: not 'key: value'";
                return null;
            }
            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "version": version ??= value; break;
                case "mode": mode ??= value; break;
                case "max_age": maxAge ??= value; break;
                case "mx": mx.Add(value); break;
            }
        }
        if (version != "STSv1")
        {
            error = version is null ? "no 'version: STSv1'" : $"version '{version}' is not STSv1";
            return null;
        }
        MtaStsMode? m = mode switch { "enforce" => MtaStsMode.Enforce, "testing" => MtaStsMode.Testing, "none" => MtaStsMode.None, _ => null };
        if (m is null)
        {
            error = mode is null ? "no 'mode'" : $"mode '{mode}' is not enforce, testing or none";
            return null;
        }
        if (maxAge is null || !Digits().IsMatch(maxAge) || !long.TryParse(maxAge, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > MaxAgeLimit)
        {
            error = maxAge is null ? "no 'max_age'" : $"max_age '{maxAge}' is not 0..{MaxAgeLimit}";
            return null;
        }
        if (m != MtaStsMode.None && mx.Count == 0)
        {
            error = "no 'mx' (required for enforce and testing)";
            return null;
        }
        var bad = mx.FirstOrDefault(p => !MxPattern().IsMatch(p));
        if (bad is not null)
        {
            error = $"mx '{bad}' is not a host name or *.domain pattern";
            return null;
        }
        error = null;
        return new MtaStsPolicy(m.Value, mx, TimeSpan.FromSeconds(seconds));
    }

    /// <summary>
    /// The policy id of an <c>_mta-sts</c> TXT record (RFC 8461 §3.1: <c>v=STSv1; id=...;</c>, id 1-32 letters and
    /// digits); null when the record is not one.
    /// </summary>
    public static string? TxtId(string txt)
    {
        var fields = txt.Split(';').Select(f => f.Trim()).Where(f => f.Length > 0).ToList();
        if (fields.Count == 0 || fields[0] != "v=STSv1") return null;
        var id = fields.Skip(1).FirstOrDefault(f => f.StartsWith("id=", StringComparison.Ordinal))?[3..];
        return id is not null && TxtIdValue().IsMatch(id) ? id : null;
    }

    [GeneratedRegex("^[0-9]{1,10}$")]
    private static partial Regex Digits();

    [GeneratedRegex(@"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$")]
    private static partial Regex MxPattern();

    [GeneratedRegex("^[A-Za-z0-9]{1,32}$")]
    private static partial Regex TxtIdValue();
}
