using System.Text;

namespace MailLab.Protocols.Text;

/// <summary>Case-insensitive ASCII search in octets, for header names and keywords (RFC 5322 §1.2.2: names are case-insensitive).</summary>
public static class AsciiSearch
{
    /// <summary>Whether <paramref name="word"/> occurs in <paramref name="text"/>, ASCII letters compared without case.</summary>
    public static bool ContainsIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> word)
    {
        if (word.IsEmpty) return true;
        // Candidates start with either case of the first letter; the rest is compared in place.
        var first = word[0];
        var other = char.IsAsciiLetter((char)first) ? (byte)(first ^ 0x20) : first;
        for (var i = 0; i + word.Length <= text.Length;)
        {
            var at = text[i..(text.Length - word.Length + 1)].IndexOfAny(first, other);
            if (at < 0) return false;
            i += at;
            if (Ascii.EqualsIgnoreCase(text.Slice(i, word.Length), word)) return true;
            i++;
        }
        return false;
    }
}
