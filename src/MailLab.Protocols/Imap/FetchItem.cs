using System.Globalization;

namespace MailLab.Protocols.Imap;

/// <summary>The FETCH data items (RFC 3501 §6.4.5).</summary>
public enum FetchKind
{
    /// <summary>FLAGS.</summary>
    Flags,
    /// <summary>UID.</summary>
    Uid,
    /// <summary>INTERNALDATE.</summary>
    InternalDate,
    /// <summary>RFC822.SIZE.</summary>
    Size,
    /// <summary>ENVELOPE.</summary>
    Envelope,
    /// <summary>BODYSTRUCTURE (with extension data).</summary>
    BodyStructure,
    /// <summary>BODY without a section: BODYSTRUCTURE without extension data.</summary>
    Body,
    /// <summary>BODY[section]&lt;partial&gt;, BODY.PEEK[...], and the RFC822 forms mapped onto them.</summary>
    Section,
}

/// <summary>The part of a section after the part numbers (RFC 3501 §6.4.5 section-text).</summary>
public enum SectionText
{
    /// <summary>The whole part (or message).</summary>
    None,
    /// <summary>HEADER.</summary>
    Header,
    /// <summary>HEADER.FIELDS (...).</summary>
    HeaderFields,
    /// <summary>HEADER.FIELDS.NOT (...).</summary>
    HeaderFieldsNot,
    /// <summary>TEXT.</summary>
    Text,
    /// <summary>MIME (the part's own MIME header; needs part numbers).</summary>
    Mime,
}

/// <summary>
/// One FETCH item. For sections: <see cref="Part"/> are the part numbers (empty = the message),
/// <see cref="Fields"/> the header names of HEADER.FIELDS(.NOT), <see cref="Partial"/> the
/// &lt;start.count&gt; range, <see cref="Peek"/> whether \Seen stays unset, and <see cref="Label"/> the
/// name echoed in the response (RFC822 forms answer under their own names).
/// </summary>
public sealed record FetchItem(FetchKind Kind, bool Peek = false, IReadOnlyList<int>? Part = null,
    SectionText Text = SectionText.None, IReadOnlyList<string>? Fields = null, (long Start, long Count)? Partial = null,
    string? Label = null)
{
    /// <summary>The part numbers (never null).</summary>
    public IReadOnlyList<int> PartNumbers => Part ?? [];

    /// <summary>Parses a FETCH argument: a macro, one item, or a list of items. Null with a reason on error.</summary>
    public static IReadOnlyList<FetchItem>? ParseList(ImapValue value, out string? error)
    {
        error = null;
        var items = new List<FetchItem>();
        if (value.Kind == ImapValueKind.Atom)
        {
            // RFC 3501 §6.4.5 macros.
            switch (value.Text.ToUpperInvariant())
            {
                case "ALL":
                    return [new(FetchKind.Flags), new(FetchKind.InternalDate), new(FetchKind.Size), new(FetchKind.Envelope)];
                case "FAST":
                    return [new(FetchKind.Flags), new(FetchKind.InternalDate), new(FetchKind.Size)];
                case "FULL":
                    return [new(FetchKind.Flags), new(FetchKind.InternalDate), new(FetchKind.Size), new(FetchKind.Envelope), new(FetchKind.Body)];
            }
            var one = Parse(value.Text, out error);
            return one is null ? null : [one];
        }
        if (value.Kind != ImapValueKind.List || value.Items.Count == 0)
        {
            error = "FETCH needs data items";
            return null;
        }
        foreach (var v in value.Items)
        {
            if (v.Kind != ImapValueKind.Atom)
            {
                error = "FETCH items are atoms";
                return null;
            }
            var item = Parse(v.Text, out error);
            if (item is null)
            {
                return null;
            }
            items.Add(item);
        }
        return items;
    }

    /// <summary>Parses one item such as <c>BODY.PEEK[1.2.HEADER.FIELDS (From To)]&lt;0.2048&gt;</c>.</summary>
    public static FetchItem? Parse(string text, out string? error)
    {
        error = null;
        var bracket = text.IndexOf('[');
        var name = (bracket < 0 ? text : text[..bracket]).ToUpperInvariant();
        if (bracket < 0)
        {
            FetchItem? simple = name switch
            {
                "FLAGS" => new(FetchKind.Flags),
                "UID" => new(FetchKind.Uid),
                "INTERNALDATE" => new(FetchKind.InternalDate),
                "RFC822.SIZE" => new(FetchKind.Size),
                "ENVELOPE" => new(FetchKind.Envelope),
                "BODYSTRUCTURE" => new(FetchKind.BodyStructure),
                "BODY" => new(FetchKind.Body),
                // RFC 3501 §6.4.5: RFC822 = BODY[] (sets \Seen), RFC822.HEADER = BODY.PEEK[HEADER], RFC822.TEXT = BODY[TEXT].
                "RFC822" => new(FetchKind.Section, Label: "RFC822"),
                "RFC822.HEADER" => new(FetchKind.Section, Peek: true, Text: SectionText.Header, Label: "RFC822.HEADER"),
                "RFC822.TEXT" => new(FetchKind.Section, Text: SectionText.Text, Label: "RFC822.TEXT"),
                _ => null,
            };
            if (simple is null)
            {
                error = $"unknown FETCH item {text}";
            }
            return simple;
        }
        if (name is not ("BODY" or "BODY.PEEK"))
        {
            error = $"unknown FETCH item {text}";
            return null;
        }
        var close = text.LastIndexOf(']');
        if (close < bracket)
        {
            error = "missing ']'";
            return null;
        }
        var section = ParseSection(text[(bracket + 1)..close], out error);
        if (section is null)
        {
            return null;
        }
        (long, long)? partial = null;
        var rest = text[(close + 1)..];
        if (rest.Length > 0)
        {
            // "<" number "." nz-number ">"
            var dot = rest.IndexOf('.');
            if (rest[0] != '<' || rest[^1] != '>' || dot < 0
                || !long.TryParse(rest[1..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
                || !long.TryParse(rest[(dot + 1)..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count == 0)
            {
                error = $"bad partial {rest}";
                return null;
            }
            partial = (start, count);
        }
        return section with { Peek = name == "BODY.PEEK", Partial = partial };
    }

    private static FetchItem? ParseSection(string section, out string? error)
    {
        error = null;
        var parts = new List<int>();
        var k = 0;
        while (k < section.Length && char.IsAsciiDigit(section[k]))
        {
            var start = k;
            while (k < section.Length && char.IsAsciiDigit(section[k])) k++;
            if (!int.TryParse(section.AsSpan(start, k - start), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n == 0)
            {
                error = "section part numbers start at 1";
                return null;
            }
            parts.Add(n);
            if (k < section.Length)
            {
                if (section[k] != '.')
                {
                    error = $"bad section [{section}]";
                    return null;
                }
                k++;
            }
        }
        var spec = section[k..];
        var upper = spec.ToUpperInvariant();
        SectionText textKind;
        List<string>? fields = null;
        if (upper.Length == 0)
        {
            textKind = SectionText.None;
        }
        else if (upper == "HEADER") textKind = SectionText.Header;
        else if (upper == "TEXT") textKind = SectionText.Text;
        else if (upper == "MIME" && parts.Count > 0) textKind = SectionText.Mime;
        else if (upper.StartsWith("HEADER.FIELDS", StringComparison.Ordinal))
        {
            var not = upper.StartsWith("HEADER.FIELDS.NOT", StringComparison.Ordinal);
            textKind = not ? SectionText.HeaderFieldsNot : SectionText.HeaderFields;
            var list = spec[(not ? 17 : 13)..].Trim();
            if (list.Length < 2 || list[0] != '(' || list[^1] != ')')
            {
                error = "HEADER.FIELDS needs a list of names";
                return null;
            }
            fields = [.. list[1..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => f.Trim('"'))];
            if (fields.Count == 0)
            {
                error = "HEADER.FIELDS needs at least one name";
                return null;
            }
        }
        else
        {
            error = $"bad section [{section}]";
            return null;
        }
        return new FetchItem(FetchKind.Section, Part: parts, Text: textKind, Fields: fields);
    }

    /// <summary>The section as echoed in the response: <c>BODY[1.HEADER.FIELDS (FROM)]&lt;0&gt;</c> (RFC 3501 §7.4.2).</summary>
    public string ResponseName()
    {
        if (Label is not null)
        {
            return Label;
        }
        var spec = Text switch
        {
            SectionText.Header => "HEADER",
            SectionText.HeaderFields => "HEADER.FIELDS (" + string.Join(' ', Fields!) + ")",
            SectionText.HeaderFieldsNot => "HEADER.FIELDS.NOT (" + string.Join(' ', Fields!) + ")",
            SectionText.Text => "TEXT",
            SectionText.Mime => "MIME",
            _ => "",
        };
        var numbers = string.Join('.', PartNumbers);
        var inner = numbers.Length > 0 && spec.Length > 0 ? numbers + "." + spec : numbers + spec;
        var origin = Partial is { } p ? "<" + p.Start.ToString(CultureInfo.InvariantCulture) + ">" : "";
        return "BODY[" + inner + "]" + origin;
    }
}
