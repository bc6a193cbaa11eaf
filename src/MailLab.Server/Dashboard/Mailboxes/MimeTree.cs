using MimeKit;

namespace MailLab.Server.Dashboard.Mailboxes;

/// <summary>
/// What a message is made of, for the Mailboxes page: its header fields in order with the trace headers flagged,
/// its MIME tree (parsed by MimeKit), and the lines of its raw source with the trace header lines marked.
/// No I/O of its own: it reads the stream it is given.
/// </summary>
internal static class MimeTree
{
    /// <summary>Most MIME entities shown; a message with more is cut (and says so).</summary>
    public const int MaxNodes = 500;

    /// <summary>Deepest nesting shown (multiparts in multiparts, attached messages).</summary>
    public const int MaxDepth = 32;

    /// <summary>
    /// The fields a receiving server adds about the message's path and checks, with the RFC section that defines each:
    /// Return-Path and Received are the trace information of RFC 5321 §4.4; the others record the SPF, DKIM and
    /// Authentication-Results evidence a student compares against the trace.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> TraceHeaders = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Return-Path"] = "RFC 5321 §4.4",
        ["Received"] = "RFC 5321 §4.4",
        ["Received-SPF"] = "RFC 7208 §9.1",
        ["DKIM-Signature"] = "RFC 6376 §3.5",
        ["Authentication-Results"] = "RFC 8601 §2.2",
    };

    /// <summary>The header fields in order, each trace header flagged with its RFC.</summary>
    public static IReadOnlyList<HeaderView> Headers(HeaderList headers) =>
        headers.Select(h => TraceHeaders.TryGetValue(h.Field, out var rfc)
            ? new HeaderView(h.Field, h.Value, true, rfc)
            : new HeaderView(h.Field, h.Value, false, null)).ToList();

    /// <summary>
    /// Parses the message from a seekable stream; bodies stay in the stream (persistent parse), so a large
    /// attachment is measured, not copied. Returns the message, its tree, and whether the tree was cut.
    /// </summary>
    public static async Task<(MimeMessage Message, MimeNode? Root, bool Truncated)> ParseAsync(Stream stream, CancellationToken ct)
    {
        var spans = new Dictionary<MimeEntity, (long Begin, long HeadersEnd, long End)>(ReferenceEqualityComparer.Instance);
        var parser = new MimeParser(new ParserOptions { MaxMimeDepth = MaxDepth }, stream, MimeFormat.Entity, persistent: true);
        parser.MimeEntityEnd += (_, e) => spans[e.Entity] = (e.BeginOffset, e.HeadersEndOffset, e.EndOffset);
        var message = await parser.ParseMessageAsync(ct).ConfigureAwait(false);
        var walk = new Walk(spans);
        var root = message.Body is { } body ? walk.Node(body, 0) : null;
        return (message, root, walk.Truncated);
    }

    /// <summary>One line of the raw source: <c>Field</c> is the header field it belongs to (continuation lines too), null in the body.</summary>
    public readonly record struct RawLine(string Text, string? Field)
    {
        /// <summary>Whether the line belongs to a trace header.</summary>
        public bool Trace => Field is not null && TraceHeaders.ContainsKey(Field);
    }

    /// <summary>
    /// The raw source split into lines (CRLF or LF), each line of the top header section tagged with its field.
    /// The header section ends at the first empty line (RFC 5322 §2.1); a continuation line starts with a space or tab (§2.2.3).
    /// </summary>
    public static IReadOnlyList<RawLine> Lines(string raw)
    {
        var lines = new List<RawLine>();
        string? field = null;
        bool inHeader = true;
        foreach (var piece in raw.Split('\n'))
        {
            string line = piece.EndsWith('\r') ? piece[..^1] : piece;
            if (inHeader && line.Length == 0)
            {
                inHeader = false;
            }
            else if (inHeader && line[0] is not (' ' or '\t'))
            {
                int colon = line.IndexOf(':', StringComparison.Ordinal);
                field = colon > 0 ? line[..colon].TrimEnd() : null;
            }
            lines.Add(new RawLine(line, inHeader ? field : null));
        }
        if (lines.Count > 0 && lines[^1].Text.Length == 0 && raw.EndsWith('\n'))
        {
            lines.RemoveAt(lines.Count - 1); // the final line end ends the last line; it does not start another
        }
        return lines;
    }

    private sealed class Walk(Dictionary<MimeEntity, (long Begin, long HeadersEnd, long End)> spans)
    {
        private int count;

        public bool Truncated { get; private set; }

        public MimeNode Node(MimeEntity entity, int depth)
        {
            count++;
            var children = new List<MimeNode>();
            string? subject = null;
            List<MimeEntity> inner = entity switch
            {
                Multipart multipart => multipart.ToList(),
                MessagePart { Message: { } attached } => attached.Body is { } b ? [b] : [],
                _ => [],
            };
            if (entity is MessagePart { Message: { } m }) subject = m.Subject;
            foreach (var child in inner)
            {
                if (count >= MaxNodes || depth + 1 >= MaxDepth)
                {
                    Truncated = true;
                    break;
                }
                children.Add(Node(child, depth + 1));
            }
            var (begin, headersEnd, end) = spans.TryGetValue(entity, out var span) ? span : (0L, 0L, 0L);
            string? encoding = entity.Headers[HeaderId.ContentTransferEncoding]?.Trim();
            string? fileName = (entity as MimePart)?.FileName ?? entity.ContentDisposition?.FileName;
            return new MimeNode(entity.ContentType.MimeType, entity.ContentType.Charset, fileName, entity.ContentDisposition?.Disposition,
                string.IsNullOrEmpty(encoding) ? null : encoding, end - begin, end - headersEnd, subject, children);
        }
    }
}
