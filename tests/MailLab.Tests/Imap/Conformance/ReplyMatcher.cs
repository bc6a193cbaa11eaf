namespace MailLab.Tests.Imap.Conformance;

/// <summary>An untagged reply as received, with the sequence mapping imaptest's <c>$n</c> needs.</summary>
/// <param name="OriginalSeq">For <c>* n EXPUNGE</c> / <c>* n FETCH</c>: the number message n had when the command started.</param>
public sealed record UntaggedReply(string Text, IReadOnlyList<ImapToken> Tokens, int? OriginalSeq);

/// <summary>
/// Matches imaptest reply patterns against replies (scripted_test.md): values compare
/// case-insensitively, unbound <c>$name</c> variables capture, list order and extras follow the
/// <c>$!</c> directives or the per-reply defaults (FETCH pairs, FLAGS, LIST/LSUB, STATUS).
/// </summary>
public sealed class ReplyMatcher
{
    private Dictionary<string, string> vars;

    public ReplyMatcher(IDictionary<string, string> variables) => vars = new(variables, StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Variables => vars;

    public void Set(string name, string value) => vars[name] = value;

    /// <summary>Expands <c>$name</c> / <c>${name}</c> / <c>$$</c> in command text; null names an unbound variable.</summary>
    public string Expand(string text, out string? unbound)
    {
        unbound = null;
        var sb = new System.Text.StringBuilder();
        foreach (var seg in ImapTokenizer.ParseTemplate(text))
        {
            if (!seg.IsVariable) sb.Append(seg.Text);
            else if (vars.TryGetValue(seg.Text, out var v)) sb.Append(v);
            else unbound ??= seg.Text;
        }
        return sb.ToString();
    }

    /// <summary>True when <paramref name="reply"/> matches the pattern line; captures are kept only on a match.</summary>
    public bool Matches(IReadOnlyList<ImapToken> pattern, UntaggedReply reply)
    {
        var saved = new Dictionary<string, string>(vars, StringComparer.Ordinal);
        if (MatchLine(pattern, reply)) return true;
        vars = saved;
        return false;
    }

    private bool MatchLine(IReadOnlyList<ImapToken> p, UntaggedReply reply)
    {
        var a = reply.Tokens;
        // "* OK [code] text": the human-readable text after the pattern is free.
        var respText = p.Count > 1 && Word(p[1]) is "ok" or "no" or "bad" or "bye" or "preauth";
        if (respText ? a.Count < p.Count : a.Count != p.Count) return false;
        for (var i = 0; i < p.Count; i++)
        {
            var rules = DefaultRules(p, i);
            if (!Match(p[i], a[i], reply, rules)) return false;
        }
        return true;
    }

    /// <summary>Defaults of scripted_test.md: "n FETCH ($!unordered=2)", "LIST ($!unordered)", "LSUB ($!unordered)", "STATUS mailbox ($!unordered=2)".</summary>
    private static ListRules DefaultRules(IReadOnlyList<ImapToken> p, int i)
    {
        if (i == 3 && Word(p[2]) == "fetch") return ListRules.Pairs;
        if (i == 2 && Word(p[1]) is "list" or "lsub") return ListRules.AnyOrder;
        if (i == 3 && Word(p[1]) == "status") return ListRules.Pairs;
        return ListRules.Exact;
    }

    private static string? Word(ImapToken t) => t switch
    {
        TemplateToken { Segments: [{ IsVariable: false } s] } => s.Text.ToLowerInvariant(),
        AtomToken a => a.Text.ToLowerInvariant(),
        _ => null,
    };

    private bool Match(ImapToken p, ImapToken a, UntaggedReply reply, ListRules defaults)
    {
        switch (p)
        {
            case AnyToken:
                return true;
            case SeqVarToken sv:
                return reply.OriginalSeq == sv.Seq && a is AtomToken;
            case VarToken v:
                if (a is ListToken) return false;
                if (vars.TryGetValue(v.Name, out var bound)) return Same(bound, ValueOf(a)!, false);
                vars[v.Name] = ValueOf(a)!;
                return true;
            case TemplateToken t:
            {
                if (ValueOf(a) is not { } actual) return false;
                var text = new System.Text.StringBuilder();
                var caseSensitive = false;
                foreach (var seg in t.Segments)
                {
                    if (seg.IsVariable)
                    {
                        if (!vars.TryGetValue(seg.Text, out var val)) return false;
                        text.Append(val);
                    }
                    else text.Append(seg.Text);
                    caseSensitive |= seg.CaseSensitive;
                }
                return Same(text.ToString(), actual, caseSensitive);
            }
            case StringToken s:
                return ValueOf(a) is { } v2 && Same(s.Value, v2, false);
            case ListToken pl:
                return a is ListToken al && al.Open == pl.Open && MatchList(pl.Items, al.Items, pl.Rules ?? defaults, reply);
            default:
                return false;
        }
    }

    private static string? ValueOf(ImapToken a) => a switch
    {
        AtomToken x => x.Text,
        StringToken x => x.Value,
        _ => null,
    };

    /// <summary>Case-insensitive unless asked; CRs ignored (patterns write line ends as LF); spaces in sections collapsed.</summary>
    private static bool Same(string expected, string actual, bool caseSensitive)
    {
        static string Norm(string x) => System.Text.RegularExpressions.Regex.Replace(x.Replace("\r", ""), @"(?<=\[[^\]]*) +", " ");
        return string.Equals(Norm(expected), Norm(actual), caseSensitive ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase);
    }

    private bool MatchList(IReadOnlyList<ImapToken> p, IReadOnlyList<ImapToken> a, ListRules rules, UntaggedReply reply)
    {
        var n = Math.Max(1, rules.Chunk);
        var pc = Chunks(p, n);
        var ac = Chunks(a, n);
        var used = new bool[ac.Count];
        if (rules.Ordered)
        {
            if (!rules.Extra && pc.Count != ac.Count) return false;
            var j = 0;
            foreach (var pe in pc)
            {
                while (j < ac.Count && !TryChunk(pe, ac[j], reply)) { if (!rules.Extra) return false; j++; }
                if (j == ac.Count) return false;
                used[j++] = true;
            }
        }
        else
        {
            foreach (var pe in pc)
            {
                var found = false;
                for (var j = 0; j < ac.Count && !found; j++)
                    if (!used[j] && TryChunk(pe, ac[j], reply)) used[j] = found = true;
                if (!found) return false;
            }
        }
        for (var j = 0; j < ac.Count; j++)
        {
            if (used[j]) continue;
            var first = ValueOf(ac[j][0]);
            bool In(IReadOnlyList<string> set) => first is not null && set.Any(x => string.Equals(x, first, StringComparison.OrdinalIgnoreCase));
            if (rules.Extra ? In(rules.Ban) : !In(rules.Ignore)) return false;
        }
        return true;
    }

    private static List<ImapToken[]> Chunks(IReadOnlyList<ImapToken> items, int n)
    {
        var r = new List<ImapToken[]>();
        for (var i = 0; i < items.Count; i += n) r.Add(items.Skip(i).Take(n).ToArray());
        return r;
    }

    private bool TryChunk(ImapToken[] p, ImapToken[] a, UntaggedReply reply)
    {
        if (p.Length != a.Length) return false;
        var saved = new Dictionary<string, string>(vars, StringComparer.Ordinal);
        for (var i = 0; i < p.Length; i++)
        {
            // Inside a FETCH pair list, FLAGS defaults to "$!unordered $!noextra $!ignore=\recent".
            var rules = i == 1 && p.Length == 2 && Word(p[0]) == "flags" ? ListRules.Flags : ListRules.Exact;
            if (!Match(p[i], a[i], reply, rules)) { vars = saved; return false; }
        }
        return true;
    }
}
