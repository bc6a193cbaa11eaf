using System.Globalization;

namespace MailLab.Protocols.Imap;

/// <summary>The SEARCH keys of RFC 3501 §6.4.4.</summary>
public enum SearchOp
{
    /// <summary>All of <see cref="SearchKey.Children"/> (a parenthesised list, or the top level).</summary>
    And,
    /// <summary>Either of two keys.</summary>
    Or,
    /// <summary>Negation.</summary>
    Not,
    /// <summary>ALL.</summary>
    All,
    /// <summary>A system flag set (ANSWERED, DELETED, ...); the flag name is in <see cref="SearchKey.Text"/>.</summary>
    Flag,
    /// <summary>A system flag not set (UNANSWERED, UNSEEN, ...).</summary>
    NoFlag,
    /// <summary>KEYWORD: always false (the store keeps no keywords).</summary>
    Keyword,
    /// <summary>UNKEYWORD: always true.</summary>
    NoKeyword,
    /// <summary>NEW (RECENT UNSEEN); no message is recent here, so always false.</summary>
    New,
    /// <summary>OLD (NOT RECENT): always true.</summary>
    Old,
    /// <summary>RECENT: always false.</summary>
    Recent,
    /// <summary>A header field contains <see cref="SearchKey.Text"/> (BCC, CC, FROM, SUBJECT, TO, HEADER).</summary>
    Header,
    /// <summary>BODY: the text part contains the string.</summary>
    Body,
    /// <summary>TEXT: header or body contains the string.</summary>
    TextAnywhere,
    /// <summary>INTERNALDATE before the date.</summary>
    Before,
    /// <summary>INTERNALDATE on the date.</summary>
    On,
    /// <summary>INTERNALDATE on or after the date.</summary>
    Since,
    /// <summary>Date: header before the date.</summary>
    SentBefore,
    /// <summary>Date: header on the date.</summary>
    SentOn,
    /// <summary>Date: header on or after the date.</summary>
    SentSince,
    /// <summary>RFC822.SIZE larger than the number.</summary>
    Larger,
    /// <summary>RFC822.SIZE smaller than the number.</summary>
    Smaller,
    /// <summary>Message sequence numbers.</summary>
    Sequence,
    /// <summary>UIDs.</summary>
    Uid,
}

/// <summary>A parsed SEARCH criterion, a tree of keys.</summary>
public sealed record SearchKey(SearchOp Op, IReadOnlyList<SearchKey>? Children = null, string? Field = null, string? Text = null,
    DateOnly Date = default, long Number = 0, SequenceSet? Set = null)
{
    /// <summary>True when evaluating the key needs the message content (header or body).</summary>
    public bool NeedsContent => Op is SearchOp.Header or SearchOp.Body or SearchOp.TextAnywhere
        or SearchOp.SentBefore or SearchOp.SentOn or SearchOp.SentSince
        || (Children?.Any(c => c.NeedsContent) ?? false);

    /// <summary>True when the key reads the body, not only the header.</summary>
    public bool NeedsBody => Op is SearchOp.Body or SearchOp.TextAnywhere || (Children?.Any(c => c.NeedsBody) ?? false);

    /// <summary>
    /// Parses SEARCH arguments (after an optional CHARSET, which the caller strips). Null with a
    /// reason on a syntax error.
    /// </summary>
    public static SearchKey? Parse(IReadOnlyList<ImapValue> args, out string? error)
    {
        error = null;
        var i = 0;
        var keys = new List<SearchKey>();
        while (i < args.Count)
        {
            var k = ParseOne(args, ref i, 0, out error);
            if (k is null) return null;
            keys.Add(k);
        }
        if (keys.Count == 0)
        {
            error = "SEARCH needs a key";
            return null;
        }
        return keys.Count == 1 ? keys[0] : new SearchKey(SearchOp.And, keys);
    }

    private static SearchKey? ParseOne(IReadOnlyList<ImapValue> args, ref int i, int depth, out string? error)
    {
        error = null;
        if (depth > ImapParser.MaxDepth)
        {
            error = "search keys nested too deep";
            return null;
        }
        var v = args[i++];
        if (v.Kind == ImapValueKind.List)
        {
            var inner = new List<SearchKey>();
            var j = 0;
            while (j < v.Items.Count)
            {
                var k = ParseOne(v.Items, ref j, depth + 1, out error);
                if (k is null) return null;
                inner.Add(k);
            }
            if (inner.Count == 0)
            {
                error = "empty search list";
                return null;
            }
            return new SearchKey(SearchOp.And, inner);
        }
        var name = v.Text.ToUpperInvariant();
        if (v.Kind == ImapValueKind.Atom && (char.IsAsciiDigit(name[0]) || name[0] == '*'))
        {
            if (!SequenceSet.TryParse(name, out var seq))
            {
                error = $"bad sequence set {name}";
                return null;
            }
            return new SearchKey(SearchOp.Sequence, Set: seq);
        }
        switch (name)
        {
            case "ALL": return new SearchKey(SearchOp.All);
            case "ANSWERED" or "DELETED" or "DRAFT" or "FLAGGED" or "SEEN":
                return new SearchKey(SearchOp.Flag, Text: name);
            case "UNANSWERED" or "UNDELETED" or "UNDRAFT" or "UNFLAGGED" or "UNSEEN":
                return new SearchKey(SearchOp.NoFlag, Text: name[2..]);
            case "NEW": return new SearchKey(SearchOp.New);
            case "OLD": return new SearchKey(SearchOp.Old);
            case "RECENT": return new SearchKey(SearchOp.Recent);
            case "KEYWORD" or "UNKEYWORD":
                {
                    var kw = Arg(args, ref i, name, out error);
                    if (kw is null) return null;
                    return new SearchKey(name == "KEYWORD" ? SearchOp.Keyword : SearchOp.NoKeyword, Text: kw);
                }
            case "BCC" or "CC" or "FROM" or "SUBJECT" or "TO":
                {
                    var s = Arg(args, ref i, name, out error);
                    if (s is null) return null;
                    return new SearchKey(SearchOp.Header, Field: name, Text: s);
                }
            case "HEADER":
                {
                    var f = Arg(args, ref i, name, out error);
                    if (f is null) return null;
                    var s = Arg(args, ref i, name, out error);
                    if (s is null) return null;
                    return new SearchKey(SearchOp.Header, Field: f, Text: s);
                }
            case "BODY" or "TEXT":
                {
                    var s = Arg(args, ref i, name, out error);
                    if (s is null) return null;
                    return new SearchKey(name == "BODY" ? SearchOp.Body : SearchOp.TextAnywhere, Text: s);
                }
            case "BEFORE" or "ON" or "SINCE" or "SENTBEFORE" or "SENTON" or "SENTSINCE":
                {
                    var s = Arg(args, ref i, name, out error);
                    if (s is null) return null;
                    if (!TryDate(s, out var d))
                    {
                        error = $"bad date {s} (expected d-Mon-yyyy)";
                        return null;
                    }
                    var op = name switch
                    {
                        "BEFORE" => SearchOp.Before,
                        "ON" => SearchOp.On,
                        "SINCE" => SearchOp.Since,
                        "SENTBEFORE" => SearchOp.SentBefore,
                        "SENTON" => SearchOp.SentOn,
                        _ => SearchOp.SentSince,
                    };
                    return new SearchKey(op, Date: d);
                }
            case "LARGER" or "SMALLER":
                {
                    var s = Arg(args, ref i, name, out error);
                    if (s is null) return null;
                    if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                    {
                        error = $"{name} needs a number";
                        return null;
                    }
                    return new SearchKey(name == "LARGER" ? SearchOp.Larger : SearchOp.Smaller, Number: n);
                }
            case "UID":
                {
                    var s = Arg(args, ref i, name, out error);
                    if (s is null) return null;
                    if (!SequenceSet.TryParse(s, out var set))
                    {
                        error = $"bad UID set {s}";
                        return null;
                    }
                    return new SearchKey(SearchOp.Uid, Set: set);
                }
            case "NOT":
                {
                    if (i >= args.Count)
                    {
                        error = "NOT needs a key";
                        return null;
                    }
                    var k = ParseOne(args, ref i, depth + 1, out error);
                    return k is null ? null : new SearchKey(SearchOp.Not, [k]);
                }
            case "OR":
                {
                    if (i + 1 >= args.Count)
                    {
                        error = "OR needs two keys";
                        return null;
                    }
                    var a = ParseOne(args, ref i, depth + 1, out error);
                    if (a is null) return null;
                    if (i >= args.Count)
                    {
                        error = "OR needs two keys";
                        return null;
                    }
                    var b = ParseOne(args, ref i, depth + 1, out error);
                    return b is null ? null : new SearchKey(SearchOp.Or, [a, b]);
                }
            default:
                error = $"unknown search key {name}";
                return null;
        }
    }

    private static string? Arg(IReadOnlyList<ImapValue> args, ref int i, string name, out string? error)
    {
        error = null;
        if (i >= args.Count || !args[i].IsAString)
        {
            error = $"{name} needs an argument";
            return null;
        }
        return args[i++].Text;
    }

    /// <summary>RFC 3501 §9 date: <c>1-Feb-1994</c> (day of one or two digits), optionally quoted.</summary>
    public static bool TryDate(string text, out DateOnly date) =>
        DateOnly.TryParseExact(text, ["d-MMM-yyyy", "dd-MMM-yyyy"], CultureInfo.InvariantCulture, DateTimeStyles.None, out date);
}
