namespace MailLab.Tests.Imap.Conformance;

/// <summary>One command of a script: <paramref name="Status"/> is ok/no/bad or "" (any).</summary>
/// <param name="Tag">The script's own tag (pipelining form), or null for a runner tag.</param>
/// <param name="Prefix">Text the tagged reply must start with after the status (e.g. <c>[read-write]</c>).</param>
public sealed record ScriptCommand(int Connection, string? Tag, string Text, string? Status, string Prefix, int Line);

/// <summary>An expected (<c>*</c>), banned (<c>!</c>) or optional (<c>?</c>) untagged reply pattern.</summary>
public sealed record ScriptReply(char Kind, string Pattern, int Line);

/// <summary>Commands sent together (one, or a pipelined group) and the untagged replies they are checked against.</summary>
public sealed record ScriptStep(List<ScriptCommand> Commands, List<ScriptReply> Replies);

/// <summary>
/// A parsed imaptest script (dovecot/imaptest docs/scripted_test.md): header keys, then steps in
/// three forms — "ok cmd" + replies; "cmd" + replies + "ok [prefix]"; "tag cmd" ... "tag ok".
/// </summary>
public sealed class ImaptestScript
{
    /// <summary>Words that start a command; anything else at the start of a line is a tag (pipelining form).</summary>
    private static readonly HashSet<string> CommandNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "capability", "noop", "logout", "starttls", "authenticate", "login", "select", "examine", "create", "delete",
        "rename", "subscribe", "unsubscribe", "list", "lsub", "status", "append", "check", "close", "expunge", "search",
        "fetch", "store", "copy", "uid", "move", "idle", "namespace", "id", "enable", "unselect", "getquota", "setquota",
        "sort", "thread", "esearch", "genurlauth", "urlfetch", "resetkey", "notify", "compress", "getmetadata",
        "setmetadata", "catenate", "xlist",
    };

    public required string Name { get; init; }
    public IReadOnlyList<string> Capabilities { get; private init; } = [];
    public int Connections { get; private init; } = 1;
    /// <summary>Messages to append from the mbox in the setup; null = all of them.</summary>
    public int? Messages { get; private init; }
    public string State { get; private init; } = "selected";
    public List<ScriptStep> Steps { get; } = [];

    /// <param name="env">Names that count as set for <c>!ifenv</c> / <c>!ifnenv</c>.</param>
    public static ImaptestScript Parse(string name, string text, IReadOnlySet<string>? env = null)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var i = 0;
        var header = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (; i < lines.Length && lines[i].Trim().Length > 0; i++)
        {
            if (lines[i].StartsWith('#')) continue;
            var colon = lines[i].IndexOf(':');
            if (colon < 0) throw new FormatException($"{name}:{i + 1}: header line without ':'");
            header[lines[i][..colon].Trim()] = lines[i][(colon + 1)..].Trim();
        }
        int conns = header.TryGetValue("connections", out var c) ? int.Parse(c) : 1;
        var script = new ImaptestScript
        {
            Name = name,
            Capabilities = header.TryGetValue("capabilities", out var caps) ? caps.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [],
            Connections = conns,
            Messages = header.TryGetValue("messages", out var m) && m != "all" ? int.Parse(m) : null,
            State = header.TryGetValue("state", out var st) ? st.ToLowerInvariant() : "selected",
        };
        script.ParseBody(lines, i, env ?? new HashSet<string>());
        return script;
    }

    private void ParseBody(string[] lines, int i, IReadOnlySet<string> env)
    {
        ScriptStep? step = null;
        var skip = new Stack<bool>();
        void Close()
        {
            if (step is null) return;
            if (step.Commands.FirstOrDefault(x => x.Status is null) is { } open)
                throw new FormatException($"{Name}:{open.Line}: command without a status line");
            Steps.Add(step);
            step = null;
        }
        for (; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            var lineNo = i + 1;
            if (line.StartsWith("!ifenv ") || line.StartsWith("!ifnenv "))
            {
                var set = env.Contains(line.Split(' ')[1]);
                skip.Push((skip.Count > 0 && skip.Peek()) || (line.StartsWith("!ifenv ") ? !set : set));
                continue;
            }
            if (line == "!else") { var s = skip.Pop(); skip.Push((skip.Count > 0 && skip.Peek()) || !s); continue; }
            if (line == "!endif") { skip.Pop(); continue; }
            if (skip.Count > 0 && skip.Peek()) continue;
            if (line.StartsWith('#')) continue;
            // Multi-line text: the line continues until "}}}".
            while (line.Contains("{{{") && !line.Contains("}}}") && i + 1 < lines.Length) line += "\n" + lines[++i].TrimEnd('\r');
            if (line.Trim().Length == 0) { Close(); continue; }

            if (line[0] is '*' or '!' or '?')
            {
                if (step is null) throw new FormatException($"{Name}:{lineNo}: reply line outside a command");
                step.Replies.Add(new ScriptReply(line[0], line[0] == '*' ? line : "*" + line[1..], lineNo));
                continue;
            }

            var rest = line;
            var conn = 1;
            if (Connections > 1 && FirstWord(rest) is { } w0 && w0.All(char.IsAsciiDigit))
            {
                conn = int.Parse(w0);
                rest = rest[w0.Length..].TrimStart();
            }
            var word = FirstWord(rest) ?? "";
            var after = rest[word.Length..].TrimStart();
            var isStatus = word.ToLowerInvariant() is "ok" or "no" or "bad" or "\"\"";

            // Status line of the pending "cmd" (method 2) on this connection.
            var pending = step?.Commands.FirstOrDefault(x => x.Status is null && x.Tag is null && x.Connection == conn);
            if (isStatus && pending is not null)
            {
                step!.Commands[step.Commands.IndexOf(pending)] = pending with { Status = Status(word), Prefix = after };
                continue;
            }
            // "tag ok [prefix]" for a pipelined command.
            var tagged = step?.Commands.FirstOrDefault(x => x.Status is null && x.Tag is not null && x.Connection == conn
                && string.Equals(x.Tag, word, StringComparison.OrdinalIgnoreCase));
            var afterWord = FirstWord(after) ?? "";
            if (tagged is not null && afterWord.ToLowerInvariant() is "ok" or "no" or "bad" or "\"\"")
            {
                step!.Commands[step.Commands.IndexOf(tagged)] = tagged with { Status = Status(afterWord), Prefix = after[afterWord.Length..].TrimStart() };
                continue;
            }
            if (isStatus)
            {
                Close();
                step = new ScriptStep([new ScriptCommand(conn, null, after, Status(word), "", lineNo)], []);
            }
            else if (CommandNames.Contains(word))
            {
                Close();
                step = new ScriptStep([new ScriptCommand(conn, null, rest, null, "", lineNo)], []);
            }
            else
            {
                // Pipelining: consecutive "tag command" lines form one step.
                if (step is null || step.Replies.Count > 0 || step.Commands.Any(x => x.Tag is null || x.Status is not null)) { Close(); step = new ScriptStep([], []); }
                step.Commands.Add(new ScriptCommand(conn, word, after, null, "", lineNo));
            }
        }
        Close();
    }

    private static string Status(string word) => word == "\"\"" ? "" : word.ToLowerInvariant();

    private static string? FirstWord(string s)
    {
        s = s.TrimStart();
        if (s.Length == 0) return null;
        var sp = s.IndexOf(' ');
        return sp < 0 ? s : s[..sp];
    }
}
