using System.Text;

namespace MailLab.Protocols.Imap;

/// <summary>
/// Parses one complete command frame from <see cref="ImapFramer"/> into tag, name and a tree of
/// arguments (RFC 3501 §9 grammar, generic part). What each command's arguments mean is decided by
/// the command (sequence sets, FETCH items, SEARCH keys have their own parsers).
/// </summary>
public static class ImapParser
{
    /// <summary>Deepest list nesting accepted (a limit against stack exhaustion).</summary>
    public const int MaxDepth = 16;

    /// <summary>Parses a frame; exactly one of the results is non-null.</summary>
    public static (ImapCommand? Command, ImapSyntaxError? Error) Parse(ReadOnlyMemory<byte> frame)
    {
        var p = new Cursor(frame);
        var tag = p.ReadTag();
        if (tag is null)
        {
            return (null, new ImapSyntaxError(null, "missing or invalid tag"));
        }
        if (!p.Eat((byte)' '))
        {
            return (null, new ImapSyntaxError(tag, "missing command"));
        }
        var name = p.ReadPlainAtom();
        if (name.Length == 0)
        {
            return (null, new ImapSyntaxError(tag, "missing command"));
        }
        name = name.ToUpperInvariant();
        var uid = false;
        if (name == "UID")
        {
            if (!p.Eat((byte)' ') || (name = p.ReadPlainAtom().ToUpperInvariant()).Length == 0)
            {
                return (null, new ImapSyntaxError(tag, "UID needs a command"));
            }
            uid = true;
        }
        var args = new List<ImapValue>();
        while (!p.AtLineEnd)
        {
            if (!p.Eat((byte)' '))
            {
                return (null, new ImapSyntaxError(tag, $"unexpected character at offset {p.Offset}"));
            }
            var v = p.ReadValue(0, out var error);
            if (v is null)
            {
                return (null, new ImapSyntaxError(tag, error!));
            }
            args.Add(v);
        }
        if (!p.EatCrlf() || !p.AtEnd)
        {
            return (null, new ImapSyntaxError(tag, "junk after the command"));
        }
        return (new ImapCommand(tag, name, uid, args), null);
    }

    /// <summary>The tag at the start of a (possibly partial) command, or null if there is none yet.</summary>
    public static string? PeekTag(ReadOnlySpan<byte> bytes)
    {
        var end = 0;
        while (end < bytes.Length && IsTagChar(bytes[end]))
        {
            end++;
        }
        return end > 0 && end < bytes.Length && bytes[end] == (byte)' ' ? Encoding.ASCII.GetString(bytes[..end]) : null;
    }

    /// <summary>ATOM-CHAR of RFC 3501 §9: any CHAR except atom-specials.</summary>
    public static bool IsAtomChar(byte b) =>
        b is > 0x20 and < 0x7F && b is not ((byte)'(' or (byte)')' or (byte)'{' or (byte)'%' or (byte)'*' or (byte)'"' or (byte)'\\' or (byte)']');

    // tag = 1*<any ASTRING-CHAR except "+">
    private static bool IsTagChar(byte b) => (IsAtomChar(b) || b == (byte)']') && b != (byte)'+';

    private ref struct Cursor(ReadOnlyMemory<byte> frame)
    {
        private readonly ReadOnlySpan<byte> s = frame.Span;
        private readonly ReadOnlyMemory<byte> memory = frame;
        private int i;

        public readonly int Offset => i;
        public readonly bool AtEnd => i >= s.Length;
        public readonly bool AtLineEnd => i >= s.Length || s[i] == (byte)'\r';

        public bool Eat(byte b)
        {
            if (i < s.Length && s[i] == b)
            {
                i++;
                return true;
            }
            return false;
        }

        public bool EatCrlf() => Eat((byte)'\r') && Eat((byte)'\n');

        public string? ReadTag()
        {
            var start = i;
            while (i < s.Length && IsTagChar(s[i]))
            {
                i++;
            }
            return i > start ? Encoding.ASCII.GetString(s[start..i]) : null;
        }

        public string ReadPlainAtom()
        {
            var start = i;
            while (i < s.Length && IsAtomChar(s[i]))
            {
                i++;
            }
            return Encoding.ASCII.GetString(s[start..i]);
        }

        public ImapValue? ReadValue(int depth, out string? error)
        {
            error = null;
            if (i >= s.Length)
            {
                error = "unexpected end of command";
                return null;
            }
            switch (s[i])
            {
                case (byte)'(':
                    return ReadList(depth, out error);
                case (byte)'"':
                    return ReadQuoted(out error);
                case (byte)'{':
                    return ReadLiteral(out error);
                case (byte)'~' when i + 1 < s.Length && s[i + 1] == (byte)'{':
                    error = "literal8 (BINARY) is not supported";
                    return null;
                default:
                    return ReadAtom(out error);
            }
        }

        private ImapValue? ReadList(int depth, out string? error)
        {
            error = null;
            if (depth >= MaxDepth)
            {
                error = $"lists nested deeper than {MaxDepth}";
                return null;
            }
            i++; // (
            var items = new List<ImapValue>();
            while (true)
            {
                if (Eat((byte)')'))
                {
                    return ImapValue.List(items);
                }
                if (items.Count > 0 && !Eat((byte)' '))
                {
                    error = "expected space or ')' in list";
                    return null;
                }
                var v = ReadValue(depth + 1, out error);
                if (v is null)
                {
                    return null;
                }
                items.Add(v);
            }
        }

        private ImapValue? ReadQuoted(out string? error)
        {
            error = null;
            i++; // "
            var bytes = new List<byte>();
            while (i < s.Length)
            {
                var b = s[i++];
                if (b == (byte)'"')
                {
                    return ImapValue.String(bytes.ToArray(), literal: false);
                }
                if (b is (byte)'\r' or (byte)'\n')
                {
                    break;
                }
                if (b == (byte)'\\')
                {
                    // RFC 3501 §9 quoted-specials: only \" and \\ may be escaped.
                    if (i >= s.Length || s[i] is not ((byte)'"' or (byte)'\\'))
                    {
                        error = "invalid escape in quoted string";
                        return null;
                    }
                    b = s[i++];
                }
                bytes.Add(b);
            }
            error = "unterminated quoted string";
            return null;
        }

        private ImapValue? ReadLiteral(out string? error)
        {
            error = null;
            var close = s[i..].IndexOf((byte)'}');
            if (close < 0 || !ImapFramer.TryLiteralAtEnd(s[i..(i + close + 1)], out var size, out _))
            {
                error = "invalid literal";
                return null;
            }
            i += close + 1;
            if (!EatCrlf() || s.Length - i < size)
            {
                error = "literal not followed by CRLF and its octets";
                return null;
            }
            var bytes = memory.Slice(i, (int)size);
            i += (int)size;
            return ImapValue.String(bytes, literal: true);
        }

        // An atom; after BODY, BINARY and their .PEEK/.SIZE forms a '[' runs to the matching ']'
        // (FETCH items such as BODY.PEEK[HEADER.FIELDS (From To)]<0.100>), spaces included. Elsewhere
        // '[' is an ordinary atom character (RFC 3501 §9 atom-specials do not include it).
        private ImapValue? ReadAtom(out string? error)
        {
            error = null;
            var start = i;
            var brackets = 0;
            while (i < s.Length)
            {
                var b = s[i];
                if (b == (byte)'[' && (brackets > 0 || OpensSection(s[start..i])))
                {
                    brackets++;
                }
                else if (b == (byte)']' && brackets > 0)
                {
                    brackets--;
                }
                else if (brackets == 0 && !(IsAtomChar(b) || b is (byte)'\\' or (byte)'*' or (byte)'%' or (byte)']'))
                {
                    break;
                }
                else if (brackets > 0 && b is (byte)'\r' or (byte)'\n')
                {
                    break;
                }
                i++;
            }
            if (brackets > 0)
            {
                error = "unbalanced '['";
                return null;
            }
            if (i == start)
            {
                error = $"unexpected character '{(char)s[i]}'";
                return null;
            }
            return ImapValue.Atom(Encoding.ASCII.GetString(s[start..i]));
        }

        private static bool OpensSection(ReadOnlySpan<byte> prefix)
        {
            var p = Encoding.ASCII.GetString(prefix).ToUpperInvariant();
            return p is "BODY" or "BODY.PEEK" or "BINARY" or "BINARY.PEEK" or "BINARY.SIZE";
        }
    }
}
