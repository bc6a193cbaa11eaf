using System.Buffers;
using System.Text;
using MailLab.Protocols.Text;

namespace MailLab.Server.Delivery;

/// <summary>
/// Edits the header section of a received message: drops fields of one name whose value a predicate picks (incoming
/// Authentication-Results that claim our authserv-id, RFC 8601 §5) and tags the Subject. Only when
/// something changes is the message copied, into a new spool.
/// </summary>
internal static class HeaderRewrite
{
    /// <summary>How much of the message is read to find the header section without copying the message.</summary>
    private const int HeadBytes = 256 * 1024;

    /// <summary>The rewritten message, or null when nothing had to change.</summary>
    /// <param name="spool">The message.</param>
    /// <param name="spillDirectory">Where a large rewritten message spills.</param>
    /// <param name="field">The name of the fields that may be dropped.</param>
    /// <param name="drop">Given the value of a <paramref name="field"/> field, whether it goes.</param>
    /// <param name="subjectTag">A tag for the Subject, or null.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<MessageSpool?> ApplyAsync(MessageSpool spool, string spillDirectory,
        string field, Func<string, bool> drop, string? subjectTag, CancellationToken ct)
    {
        // Most messages need no change: their header section is read where it lies (in memory, or the first
        // bytes of the spill file); the whole message is copied only to write a changed one.
        var head = spool.Head(HeadBytes);
        var end = head.Span.IndexOf("\r\n\r\n"u8);
        ReadOnlyMemory<byte> bytes = head;
        if (end < 0 && head.Length < spool.Length) bytes = await CopyAsync(spool, ct).ConfigureAwait(false);
        end = bytes.Span.IndexOf("\r\n\r\n"u8);
        int headerEnd = end < 0 ? bytes.Length : end + 2;
        var header = Rewrite(bytes.Span[..headerEnd], field, drop, subjectTag);
        if (header is null) return null;
        if (bytes.Length < spool.Length) bytes = await CopyAsync(spool, ct).ConfigureAwait(false);
        var result = new MessageSpool(spillDirectory);
        try
        {
            result.Write(header);
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

    private static async Task<ReadOnlyMemory<byte>> CopyAsync(MessageSpool spool, CancellationToken ct)
    {
        using var copy = new MemoryStream((int)Math.Min(spool.Length, int.MaxValue));
        await spool.CopyToAsync(copy, ct).ConfigureAwait(false);
        return copy.GetBuffer().AsMemory(0, (int)copy.Length);
    }

    /// <summary>The new header section, or null when nothing changes.</summary>
    private static byte[]? Rewrite(ReadOnlySpan<byte> headerSection, string field, Func<string, bool> drop, string? subjectTag)
    {
        // Usually the field is not there at all: then nothing is split or decoded.
        if (subjectTag is null)
        {
            Span<byte> name = stackalloc byte[Encoding.ASCII.GetMaxByteCount(field.Length)]; // header names are short
            if (!AsciiSearch.ContainsIgnoreCase(headerSection, name[..Encoding.ASCII.GetBytes(field, name)])) return null;
        }
        // Latin-1 maps every byte to one char and back, so unknown 8-bit headers pass through unchanged.
        var section = Encoding.Latin1.GetString(headerSection);
        var fields = SplitFields(section);
        var output = new StringBuilder(section.Length + 64);
        bool changed = false, tagged = subjectTag is null;
        foreach (var f in fields)
        {
            var colon = f.IndexOf(':');
            var name = colon > 0 ? f[..colon].Trim() : "";
            var value = colon > 0 ? f[(colon + 1)..] : "";
            if (colon > 0 && name.Equals(field, StringComparison.OrdinalIgnoreCase) && drop(value)) { changed = true; continue; }
            if (!tagged && name.Equals("Subject", StringComparison.OrdinalIgnoreCase))
            {
                output.Append(f[..(colon + 1)]).Append(' ').Append(subjectTag).Append(' ').Append(value.TrimStart());
                tagged = changed = true;
                continue;
            }
            output.Append(f);
        }
        if (!tagged)
        {
            output.Append("Subject: ").Append(subjectTag).Append("\r\n");
            changed = true;
        }
        return changed ? Encoding.Latin1.GetBytes(output.ToString()) : null;
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
