using System.Globalization;
using System.Text;

namespace MailLab.Server.Store;

/// <summary>
/// Maildir file names that carry the UID and size: <c>&lt;unique&gt;,U=&lt;uid&gt;,S=&lt;size&gt;</c> in <c>new/</c>,
/// plus the info suffix <c>:2,&lt;flags&gt;&lt;keyword letters&gt;</c> in <c>cur/</c>. A directory listing alone rebuilds a folder.
/// </summary>
internal readonly record struct MaildirFileName(string Unique, uint Uid, long Size, MessageFlags Flags, bool HasInfo, uint Keywords = 0)
{
    private const string InfoMarker = ":2,";
    private static long counter;
    private static readonly string Host = SafeHostName();

    /// <summary>A new unique base name in the classic Maildir style: <c>seconds.MmicrosPpidQcounter.host</c>.</summary>
    public static string NewUnique()
    {
        var now = DateTimeOffset.UtcNow;
        var micros = now.Ticks / 10 % 1_000_000;
        var q = Interlocked.Increment(ref counter);
        return string.Create(CultureInfo.InvariantCulture,
            $"{now.ToUnixTimeSeconds()}.M{micros}P{Environment.ProcessId}Q{q}.{Host}");
    }

    /// <summary>The file name: with the info suffix for <c>cur/</c>, without it for <c>new/</c>.</summary>
    public override string ToString()
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"{Unique},U={Uid},S={Size}");
        return HasInfo ? name + InfoMarker + MaildirInfo.ToLetters(Flags, Keywords) : name;
    }

    /// <summary>Parses a name made by <see cref="ToString"/>; false for anything else (no UID, dot files).</summary>
    public static bool TryParse(string fileName, out MaildirFileName parsed)
    {
        parsed = default;
        if (fileName.Length == 0 || fileName[0] == '.')
        {
            return false;
        }
        var baseName = fileName.AsSpan();
        var flags = MessageFlags.None;
        uint keywords = 0;
        var hasInfo = false;
        var colon = fileName.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            if (string.CompareOrdinal(fileName, colon, InfoMarker, 0, InfoMarker.Length) != 0)
            {
                return false; // info version other than 2 (or a stray ':'): not ours to interpret
            }
            baseName = baseName[..colon];
            flags = MaildirInfo.FromLetters(fileName.AsSpan(colon + InfoMarker.Length));
            keywords = MaildirInfo.KeywordsFromLetters(fileName.AsSpan(colon + InfoMarker.Length));
            hasInfo = true;
        }
        // Fields after the unique part, split by ',' without allocating (a scan parses 100,000 names).
        var rest = baseName;
        var comma = rest.IndexOf(',');
        var unique = comma < 0 ? rest : rest[..comma];
        uint? uid = null;
        long? size = null;
        while (comma >= 0)
        {
            rest = rest[(comma + 1)..];
            comma = rest.IndexOf(',');
            var part = comma < 0 ? rest : rest[..comma];
            if (part.StartsWith("U=", StringComparison.Ordinal)
                && uint.TryParse(part[2..], NumberStyles.None, CultureInfo.InvariantCulture, out var u) && u > 0)
            {
                uid = u;
            }
            else if (part.StartsWith("S=", StringComparison.Ordinal)
                && long.TryParse(part[2..], NumberStyles.None, CultureInfo.InvariantCulture, out var s))
            {
                size = s;
            }
        }
        if (unique.Length == 0 || uid is null || size is null)
        {
            return false;
        }
        parsed = new MaildirFileName(unique.ToString(), uid.Value, size.Value, flags, hasInfo, keywords);
        return true;
    }

    // The host part must not contain '/', ':' or ',' (they mean something in the name); keep it readable.
    private static string SafeHostName()
    {
        var sb = new StringBuilder();
        foreach (var c in Environment.MachineName)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_');
        }
        return sb.Length > 0 ? sb.ToString() : "localhost";
    }
}
