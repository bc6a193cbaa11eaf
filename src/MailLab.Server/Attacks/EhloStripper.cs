namespace MailLab.Server.Attacks;

/// <summary>
/// What the STARTTLS stripper does to an SMTP reply, without I/O: removes the STARTTLS keyword from an
/// EHLO answer and mends the continuation marks, so the client sees a well-formed reply that simply
/// offers no TLS (RFC 5321 §4.2.1: every line but the last has "-" after the code, the last a space).
/// </summary>
internal static class EhloStripper
{
    /// <summary>
    /// The reply <paramref name="lines"/> (without CRLF) with every STARTTLS extension line removed;
    /// <paramref name="removed"/> gets the lines taken out (empty when there was none).
    /// </summary>
    public static IReadOnlyList<string> Strip(IReadOnlyList<string> lines, out IReadOnlyList<string> removed)
    {
        var kept = new List<string>(lines.Count);
        var gone = new List<string>();
        for (int i = 0; i < lines.Count; i++)
        {
            // The first line is the greeting part (domain), never an extension (RFC 5321 §4.1.1.1).
            if (i > 0 && IsStarttls(lines[i])) gone.Add(lines[i]);
            else kept.Add(lines[i]);
        }
        removed = gone;
        if (gone.Count == 0) return lines;
        for (int i = 0; i < kept.Count; i++)
        {
            var line = kept[i];
            var code = line.Length >= 3 ? line[..3] : line;
            var text = line.Length > 4 ? line[4..] : "";
            kept[i] = code + (i == kept.Count - 1 ? " " : "-") + text;
        }
        return kept;
    }

    /// <summary>Whether the reply line is the STARTTLS extension (RFC 3207 §4: keyword "STARTTLS", no parameters).</summary>
    public static bool IsStarttls(string line) =>
        line.Length > 4 && line[4..].Trim().Equals("STARTTLS", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether the reply line is the last of its reply: a space (or nothing) after the code.</summary>
    public static bool IsLast(string line) => line.Length < 4 || line[3] != '-';

    /// <summary>The verb of a client command line, upper case ("" for an empty line).</summary>
    public static string Verb(string line)
    {
        var t = line.TrimStart();
        int sp = t.IndexOf(' ');
        return (sp < 0 ? t : t[..sp]).ToUpperInvariant();
    }
}
