using MimeKit;

namespace MailLab.Protocols.Imap;

/// <summary>
/// One message parsed by MimeKit, with the octet offsets of every entity in the original bytes
/// (from the parser's begin/end events), so sections are served exactly as stored, never re-encoded.
/// </summary>
public sealed class MessageParts
{
    private readonly Dictionary<object, Span3> offsets = new(ReferenceEqualityComparer.Instance);

    private MessageParts(byte[] bytes) => Bytes = bytes;

    /// <summary>Begin of headers, end of headers (start of content), end of content.</summary>
    private readonly record struct Span3(long Begin, long HeadersEnd, long End);

    /// <summary>The message as stored.</summary>
    public byte[] Bytes { get; }

    /// <summary>The parsed message.</summary>
    public MimeMessage Message { get; private set; } = null!;

    /// <summary>
    /// Parses the stored octets; never throws on their content. A message that does not start with a
    /// header (<see cref="HeaderBlock.StartsWithHeader"/>, e.g. <c>just a body</c>) or whose header
    /// MimeKit refuses is read as an empty header followed by the whole octets as text/plain.
    /// </summary>
    public static MessageParts Parse(byte[] bytes)
    {
        if (HeaderBlock.StartsWithHeader(bytes))
        {
            try
            {
                return Parse(bytes, bytes, 0);
            }
            catch (FormatException)
            {
                // below: as a message without a header
            }
        }
        // An empty line in front makes the header empty for the parser; offsets are moved back by its length.
        var shifted = new byte[bytes.Length + 2];
        shifted[0] = (byte)'\r';
        shifted[1] = (byte)'\n';
        bytes.CopyTo(shifted, 2);
        return Parse(bytes, shifted, 2);
    }

    private static MessageParts Parse(byte[] bytes, byte[] parsed, long shift)
    {
        var parts = new MessageParts(bytes);
        using var stream = new MemoryStream(parsed, writable: false);
        var parser = new MimeParser(stream, MimeFormat.Entity);
        var begins = new Dictionary<object, long>(ReferenceEqualityComparer.Instance);
        Span3 At(long begin, long headersEnd, long end) =>
            new(Math.Max(0, begin - shift), Math.Max(0, headersEnd - shift), Math.Max(0, end - shift));
        parser.MimeEntityBegin += (_, e) => begins[e.Entity] = e.BeginOffset;
        parser.MimeEntityEnd += (_, e) => parts.offsets[e.Entity] = At(begins[e.Entity], e.HeadersEndOffset, e.EndOffset);
        parser.MimeMessageBegin += (_, e) => begins[e.Message] = e.BeginOffset;
        parser.MimeMessageEnd += (_, e) => parts.offsets[e.Message] = At(begins[e.Message], e.HeadersEndOffset, e.EndOffset);
        parts.Message = parser.ParseMessage();
        return parts;
    }

    // Every entity the parser returned has its offsets; an empty span rather than an exception if not.
    private Span3 OffsetsOf(object entity) => offsets.TryGetValue(entity, out var span) ? span : default;

    /// <summary>The octets a FETCH section names (RFC 3501 §6.4.5), or null when the part does not exist.</summary>
    public ReadOnlyMemory<byte>? Section(FetchItem item)
    {
        MimeMessage scope = Message;
        MimeEntity? entity = null;
        foreach (var n in item.PartNumbers)
        {
            var current = entity ?? scope.Body;
            if (entity is MessagePart embedded && embedded.Message is not null)
            {
                scope = embedded.Message;
                current = scope.Body;
            }
            entity = current switch
            {
                Multipart multi => n <= multi.Count ? multi[n - 1] : null,
                _ when n == 1 => current,
                _ => null,
            };
            if (entity is null)
            {
                return null;
            }
        }
        if (entity is not null && item.Text is SectionText.Header or SectionText.HeaderFields or SectionText.HeaderFieldsNot or SectionText.Text)
        {
            // HEADER and TEXT after part numbers apply to an embedded message/rfc822 only.
            if (entity is not MessagePart { Message: not null } inner)
            {
                return null;
            }
            scope = inner.Message;
            entity = null;
        }
        if (entity is null)
        {
            var m = OffsetsOf(scope);
            return item.Text switch
            {
                SectionText.None => Slice(m.Begin, m.End),
                SectionText.Header => Slice(m.Begin, m.HeadersEnd),
                SectionText.HeaderFields or SectionText.HeaderFieldsNot =>
                    HeaderBlock.Filter(Slice(m.Begin, m.HeadersEnd).Span, item.Fields!, item.Text == SectionText.HeaderFieldsNot),
                SectionText.Text => Slice(m.HeadersEnd, m.End),
                _ => null,
            };
        }
        var e = OffsetsOf(entity);
        return item.Text switch
        {
            SectionText.Mime => Slice(e.Begin, e.HeadersEnd),
            _ => Slice(e.HeadersEnd, e.End),
        };
    }

    /// <summary>BODYSTRUCTURE (with extension data) or BODY (without), RFC 3501 §7.4.2.</summary>
    public void WriteStructure(ImapWriter w, bool extensible) => WriteEntity(w, Message.Body, extensible);

    private void WriteEntity(ImapWriter w, MimeEntity? entity, bool ext)
    {
        if (entity is null)
        {
            // An empty body still has a structure: text/plain of 0 octets.
            w.Raw("(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0)"u8);
            return;
        }
        var type = entity.ContentType;
        w.Raw("("u8);
        if (entity is Multipart multi)
        {
            foreach (var child in multi)
            {
                WriteEntity(w, child, ext);
            }
            if (multi.Count == 0)
            {
                WriteEntity(w, null, ext);
            }
            w.Raw(" "u8).String(type.MediaSubtype);
            if (ext)
            {
                w.Raw(" "u8);
                WriteParameters(w, type);
                w.Raw(" "u8);
                WriteTail(w, entity);
            }
            w.Raw(")"u8);
            return;
        }
        var span = OffsetsOf(entity);
        var content = Slice(span.HeadersEnd, span.End).Span;
        w.String(type.MediaType).Raw(" "u8).String(type.MediaSubtype).Raw(" "u8);
        WriteParameters(w, type);
        w.Raw(" "u8).NString(entity.Headers[HeaderId.ContentId]?.Trim());
        w.Raw(" "u8).NString(entity.Headers[HeaderId.ContentDescription]?.Trim());
        var encoding = entity.Headers[HeaderId.ContentTransferEncoding]?.Trim();
        w.Raw(" "u8).String(string.IsNullOrEmpty(encoding) ? "7BIT" : encoding.ToUpperInvariant());
        w.Raw(" "u8).Number(content.Length);
        if (entity is MessagePart { Message: not null } embedded && type.IsMimeType("message", "rfc822"))
        {
            w.Raw(" "u8);
            ImapEnvelope.Write(w, embedded.Message.Headers);
            w.Raw(" "u8);
            WriteEntity(w, embedded.Message.Body, ext);
            w.Raw(" "u8).Number(Lines(content));
        }
        else if (type.MediaType.Equals("text", StringComparison.OrdinalIgnoreCase))
        {
            w.Raw(" "u8).Number(Lines(content));
        }
        if (ext)
        {
            w.Raw(" "u8).NString(entity.Headers[HeaderId.ContentMd5]?.Trim()).Raw(" "u8);
            WriteTail(w, entity);
        }
        w.Raw(")"u8);
    }

    // body-fld-dsp body-fld-lang body-fld-loc
    private static void WriteTail(ImapWriter w, MimeEntity entity)
    {
        if (entity.ContentDisposition is { } d)
        {
            w.Raw("("u8).String(d.Disposition.ToUpperInvariant()).Raw(" "u8);
            if (d.Parameters.Count == 0)
            {
                w.Raw("NIL"u8);
            }
            else
            {
                w.Raw("("u8);
                var first = true;
                foreach (var p in d.Parameters)
                {
                    if (!first) w.Raw(" "u8);
                    first = false;
                    w.String(p.Name.ToUpperInvariant()).Raw(" "u8).String(p.Value);
                }
                w.Raw(")"u8);
            }
            w.Raw(")"u8);
        }
        else
        {
            w.Raw("NIL"u8);
        }
        var language = entity.Headers[HeaderId.ContentLanguage]?.Trim();
        w.Raw(" "u8);
        if (string.IsNullOrEmpty(language))
        {
            w.Raw("NIL"u8);
        }
        else
        {
            w.StringList([.. language.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]);
        }
        w.Raw(" "u8).NString(entity.Headers[HeaderId.ContentLocation]?.Trim());
    }

    private static void WriteParameters(ImapWriter w, ContentType type)
    {
        if (type.Parameters.Count == 0)
        {
            // RFC 2045 §5.2: text without a charset is US-ASCII; say so as other servers do.
            if (type.MediaType.Equals("text", StringComparison.OrdinalIgnoreCase))
            {
                w.Raw("(\"CHARSET\" \"US-ASCII\")"u8);
                return;
            }
            w.Raw("NIL"u8);
            return;
        }
        w.Raw("("u8);
        var first = true;
        foreach (var p in type.Parameters)
        {
            if (!first) w.Raw(" "u8);
            first = false;
            w.String(p.Name.ToUpperInvariant()).Raw(" "u8).String(p.Value);
        }
        w.Raw(")"u8);
    }

    private static int Lines(ReadOnlySpan<byte> content)
    {
        var n = content.Count((byte)'\n');
        return content.Length > 0 && content[^1] != (byte)'\n' ? n + 1 : n;
    }

    private ReadOnlyMemory<byte> Slice(long begin, long end) =>
        Bytes.AsMemory((int)Math.Min(begin, Bytes.Length), (int)(Math.Min(end, Bytes.Length) - Math.Min(begin, Bytes.Length)));
}
