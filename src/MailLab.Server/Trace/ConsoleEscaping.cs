using System.Buffers;
using System.Globalization;
using System.Text;

namespace MailLab.Server.Trace;

/// <summary>
/// Makes what a client sent safe to print on a terminal: C0 controls, DEL, C1 controls, bidi
/// overrides and isolates, and line/paragraph separators become visible escapes (<c>\x1b</c>,
/// <c>\r</c>, <c>\u202e</c>), so an ESC sequence cannot clear or colour the screen and a CR cannot
/// forge a log line. Applied to every string a console line shows (<see cref="ConsoleLine"/>);
/// the JSON file keeps the original text, which JSON escaping already makes safe.
/// </summary>
internal static class ConsoleEscaping
{
    /// <summary>Whether <paramref name="c"/> is escaped on the console.</summary>
    public static bool IsUnsafe(char c) =>
        c < 0x20 || c is >= '\u007f' and <= '\u009f'
        || c is '\u061c' or '\u200e' or '\u200f' or '\u2028' or '\u2029'
        || c is >= '\u202a' and <= '\u202e' || c is >= '\u2066' and <= '\u2069';

    private static readonly SearchValues<char> Unsafe =
        SearchValues.Create(Enumerable.Range(0, '\u2070').Select(i => (char)i).Where(IsUnsafe).ToArray());

    /// <summary><paramref name="text"/> with every unsafe character replaced by a visible escape; the same string when it has none.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int first = text.AsSpan().IndexOfAny(Unsafe); // vectorised: every console line passes its strings through here
        if (first < 0) return text;
        var sb = new StringBuilder(text.Length + 16).Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (!IsUnsafe(c)) { sb.Append(c); continue; }
            sb.Append(c switch
            {
                '\r' => @"\r",
                '\n' => @"\n",
                '\t' => @"\t",
                _ when c <= '\u00ff' => @"\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture),
                _ => @"\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
            });
        }
        return sb.ToString();
    }
}
