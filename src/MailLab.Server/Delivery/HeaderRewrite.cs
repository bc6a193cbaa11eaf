using System.Buffers;
using System.Text;

namespace MailLab.Server.Delivery;

/// <summary>
/// Edits the header section of a received message: drops fields a predicate names (incoming
/// Authentication-Results that claim our authserv-id, RFC 8601 §5) and tags the Subject. Only when
/// something changes is the message copied, into a new spool.
/// </summary>
internal static class HeaderRewrite
{
    /// <summary>The rewritten message, or null when nothing had to change.</summary>
    public static async Task<MessageSpool?> ApplyAsync(MessageSpool spool, string spillDirectory,
        Func<string, string, bool> drop, string? subjectTag, CancellationToken ct)
    {
        using var copy = new MemoryStream((int)Math.Min(spool.Length, int.MaxValue));
        await spool.CopyToAsync(copy, ct).ConfigureAwait(false);
        var bytes = copy.GetBuffer().AsMemory(0, (int)copy.Length);
        var end = bytes.Span.IndexOf("\r\n\r\n"u8);
        int headerEnd = end < 0 ? bytes.Length : end + 2;
        // Latin-1 maps every byte to one char and back, so unknown 8-bit headers pass through unchanged.
        var section = Encoding.Latin1.GetString(bytes.Span[..headerEnd]);
        var fields = SplitFields(section);
        var output = new StringBuilder(section.Length + 64);
        bool changed = false, tagged = subjectTag is null;
        foreach (var field in fields)
        {
            var colon = field.IndexOf(':');
            var name = colon > 0 ? field[..colon].Trim() : "";
            var value = colon > 0 ? field[(colon + 1)..] : "";
            if (colon > 0 && drop(name, value)) { changed = true; continue; }
            if (!tagged && name.Equals("Subject", StringComparison.OrdinalIgnoreCase))
            {
                output.Append(field[..(colon + 1)]).Append(' ').Append(subjectTag).Append(' ').Append(value.TrimStart());
                tagged = changed = true;
                continue;
            }
            output.Append(field);
        }
        if (!tagged)
        {
            output.Append("Subject: ").Append(subjectTag).Append("\r\n");
            changed = true;
        }
        if (!changed) return null;
        var result = new MessageSpool(spillDirectory);
        try
        {
            result.Write(Encoding.Latin1.GetBytes(output.ToString()));
            await result.FlushAsync(ct).ConfigureAwait(false);
            result.Write(bytes.Span[headerEnd..]);
            await result.FlushAsync(ct).ConfigureAwait(false);
            return result;
        }
        catch
        {
            await result.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Fields with their folded continuation lines and CRLFs, in order.</summary>
    private static List<string> SplitFields(string section)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        int i = 0;
        while (i < section.Length)
        {
            var nl = section.IndexOf("\r\n", i, StringComparison.Ordinal);
            var line = nl < 0 ? section[i..] : section[i..(nl + 2)];
            i = nl < 0 ? section.Length : nl + 2;
            if (line.Length > 0 && line[0] is ' ' or '\t' && current.Length > 0)
            {
                current.Append(line);
                continue;
            }
            if (current.Length > 0) fields.Add(current.ToString());
            current.Clear().Append(line);
        }
        if (current.Length > 0) fields.Add(current.ToString());
        return fields;
    }
}
