using System.Text;

namespace MailLab.Protocols.Imap;

/// <summary>The three shapes an IMAP argument takes on the wire (RFC 3501 §4).</summary>
public enum ImapValueKind
{
    /// <summary>An atom, including <c>NIL</c>, numbers, flags (<c>\Seen</c>) and FETCH items with a <c>[section]</c>.</summary>
    Atom,

    /// <summary>A quoted string or a literal.</summary>
    String,

    /// <summary>A parenthesised list.</summary>
    List,
}

/// <summary>One parsed argument. Strings keep their octets (an APPEND literal is a message).</summary>
public sealed class ImapValue
{
    private string? text;

    private ImapValue(ImapValueKind kind, string? text, ReadOnlyMemory<byte> bytes, IReadOnlyList<ImapValue>? items, bool literal)
    {
        Kind = kind;
        this.text = text;
        Bytes = bytes;
        Items = items ?? [];
        IsLiteral = literal;
    }

    /// <summary>The kind of value.</summary>
    public ImapValueKind Kind { get; }

    /// <summary>The octets of a string (quoted: after unescaping).</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>The items of a list.</summary>
    public IReadOnlyList<ImapValue> Items { get; }

    /// <summary>True for a string sent as a literal.</summary>
    public bool IsLiteral { get; }

    /// <summary>The atom's text, or the string decoded as UTF-8; empty for a list.</summary>
    public string Text => text ??= Kind == ImapValueKind.String ? Encoding.UTF8.GetString(Bytes.Span) : "";

    /// <summary>True for the atom NIL (any case).</summary>
    public bool IsNil => Kind == ImapValueKind.Atom && Text.Equals("NIL", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for an atom or string (RFC 3501 astring).</summary>
    public bool IsAString => Kind != ImapValueKind.List;

    /// <summary>An atom.</summary>
    public static ImapValue Atom(string text) => new(ImapValueKind.Atom, text, default, null, false);

    /// <summary>A quoted string or literal.</summary>
    public static ImapValue String(ReadOnlyMemory<byte> bytes, bool literal) => new(ImapValueKind.String, null, bytes, null, literal);

    /// <summary>A list.</summary>
    public static ImapValue List(IReadOnlyList<ImapValue> items) => new(ImapValueKind.List, null, default, items, false);

    /// <summary>The value as the trace shows it: literals summarised by size, not copied.</summary>
    public override string ToString() => Kind switch
    {
        ImapValueKind.Atom => Text,
        ImapValueKind.String when IsLiteral => $"{{{Bytes.Length} octets}}",
        ImapValueKind.String => "\"" + Text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
        _ => "(" + string.Join(' ', Items) + ")",
    };
}

/// <summary>
/// A parsed command: tag, name (upper-case; for <c>UID FETCH</c> the name is <c>FETCH</c> and
/// <see cref="Uid"/> is true) and arguments.
/// </summary>
public sealed record ImapCommand(string Tag, string Name, bool Uid, IReadOnlyList<ImapValue> Arguments)
{
    /// <summary>The command as the trace shows it (literals summarised).</summary>
    public override string ToString() =>
        $"{Tag} {(Uid ? "UID " : "")}{Name}{(Arguments.Count > 0 ? " " + string.Join(' ', Arguments) : "")}";
}

/// <summary>A command that did not parse: the tag when it could be read, and why.</summary>
public sealed record ImapSyntaxError(string? Tag, string Reason);
