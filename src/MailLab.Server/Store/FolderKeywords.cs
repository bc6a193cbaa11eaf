using System.Text;

namespace MailLab.Server.Store;

/// <summary>
/// A folder's user keywords (RFC 3501 §2.3.2, e.g. <c>$Forwarded</c>, <c>$label1</c>): keyword i is the
/// Maildir info letter 'a' + i in message file names, and the names are in the plain-text file
/// <c>maillab-keywords</c> beside <c>cur/</c>. Names are only ever added, so a letter never changes meaning.
/// Not thread-safe: the folder's lock guards it.
/// </summary>
internal sealed class FolderKeywords
{
    /// <summary>File name inside the folder directory.</summary>
    public const string FileName = "maillab-keywords";

    /// <summary>Longest keyword kept, in octets (an atom; RFC 3501 sets no limit, this one keeps file names short).</summary>
    public const int MaxLength = 128;

    private readonly string path;
    private string[] names = [];

    private FolderKeywords(string path) => this.path = path;

    /// <summary>The names, index = bit = letter offset. A new array after each addition, so callers may keep one.</summary>
    public IReadOnlyList<string> Names => names;

    /// <summary>True when another keyword can be added (RFC 3501 §7.1 PERMANENTFLAGS then offers <c>\*</c>).</summary>
    public bool CanAdd => names.Length < MaildirInfo.MaxKeywords;

    /// <summary>Reads the folder's keyword file; lines that are not "letter name" are skipped.</summary>
    public static FolderKeywords Load(string folderPath)
    {
        var k = new FolderKeywords(Path.Combine(folderPath, FileName));
        if (!File.Exists(k.path))
        {
            return k;
        }
        var found = new string?[MaildirInfo.MaxKeywords];
        foreach (var line in File.ReadAllLines(k.path))
        {
            var parts = line.Split(' ', 2, StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && parts[0].Length == 1 && parts[0][0] is >= 'a' and <= 'z' && IsValid(parts[1]))
            {
                found[parts[0][0] - 'a'] = parts[1];
            }
        }
        // Letters are handed out in order; stop at the first gap so a hand-edited file cannot shift meanings.
        k.names = [.. found.TakeWhile(n => n is not null).Select(n => n!)];
        return k;
    }

    /// <summary>A keyword name the store accepts: an IMAP atom without '\' (RFC 3501 §9 flag-keyword), not too long.</summary>
    public static bool IsValid(string name) =>
        name.Length is > 0 and <= MaxLength && name.All(c => c is > ' ' and < (char)0x7F && "(){%*\"\\]".IndexOf(c) < 0);

    /// <summary>The index of <paramref name="name"/> (case-insensitive), or -1.</summary>
    public int IndexOf(string name)
    {
        for (var i = 0; i < names.Length; i++)
        {
            if (string.Equals(names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>
    /// The mask for these names. Unknown names are added (durably, before any file name uses the letter)
    /// when <paramref name="create"/> is set; with <paramref name="allOrNothing"/> (APPEND, STORE) none is
    /// added unless all of them can be, so a refused command defines nothing, otherwise (COPY, RFC 3501
    /// §6.4.7) as many as fit. Returns false when a name had to be left out.
    /// </summary>
    public bool TryMask(IEnumerable<string> wanted, bool create, out uint mask, bool allOrNothing = true)
    {
        mask = 0;
        var unknown = new List<string>();
        var complete = true;
        foreach (var name in wanted)
        {
            var i = IndexOf(name);
            if (i >= 0)
            {
                mask |= 1u << i;
            }
            else if (!unknown.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                unknown.Add(name);
            }
        }
        if (unknown.Count == 0)
        {
            return true;
        }
        if (!create || (allOrNothing && (unknown.Count > MaildirInfo.MaxKeywords - names.Length || !unknown.All(IsValid))))
        {
            return false;
        }
        var added = false;
        foreach (var name in unknown)
        {
            if (!CanAdd || !IsValid(name))
            {
                complete = false;
                continue;
            }
            names = [.. names, name];
            mask |= 1u << (names.Length - 1);
            added = true;
        }
        if (added)
        {
            Save();
        }
        return complete;
    }

    /// <summary>True when every name is defined already or could be added now (valid, and room for all of them).</summary>
    public bool CanDefine(IEnumerable<string> wanted)
    {
        var unknown = wanted.Where(n => IndexOf(n) < 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return unknown.Count <= MaildirInfo.MaxKeywords - names.Length && unknown.All(IsValid);
    }

    /// <summary>The names of the keywords in <paramref name="mask"/>, in letter order.</summary>
    public static IEnumerable<string> NamesOf(IReadOnlyList<string> names, uint mask)
    {
        for (var i = 0; i < names.Count && mask >> i != 0; i++)
        {
            if ((mask & (1u << i)) != 0)
            {
                yield return names[i];
            }
        }
    }

    private void Save()
    {
        var text = new StringBuilder("# MailLab keywords of this folder: the letter in a message's file name, then the IMAP keyword.\n");
        for (var i = 0; i < names.Length; i++)
        {
            text.Append((char)('a' + i)).Append(' ').Append(names[i]).Append('\n');
        }
        DurableFile.WriteAllTextAtomic(path, text.ToString());
    }
}
