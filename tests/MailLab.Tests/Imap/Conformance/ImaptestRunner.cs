using System.Text;
using System.Text.RegularExpressions;

namespace MailLab.Tests.Imap.Conformance;

/// <summary>What one script did: skipped (a capability missing), or the list of failures with the transcript.</summary>
public sealed record ScriptResult(string Name, string? SkipReason, IReadOnlyList<string> Failures, string Transcript)
{
    public bool Passed => SkipReason is null && Failures.Count == 0;

    public override string ToString() => SkipReason is not null ? $"{Name}: skipped ({SkipReason})"
        : Passed ? $"{Name}: passed" : $"{Name}: {Failures.Count} failure(s)\n  " + string.Join("\n  ", Failures) + "\n--- transcript ---\n" + Transcript;
}

/// <summary>
/// Runs imaptest scripts (dovecot/imaptest scripted_test.md) against any IMAP server over real
/// sockets: sets up the script's state (login, delete/create the test mailbox, APPEND the mbox,
/// SELECT on every connection), sends each step, and checks tagged status, prefix and untagged replies.
/// </summary>
public sealed class ImaptestRunner(ImapTarget target, string mailbox = "imaptest")
{
    private readonly ImapTarget target = target;
    private readonly string mailbox = mailbox;

    private static readonly Regex LiteralInCommand = new(@"~?\{\{\{\n?(.*?)\n?\}\}\}", RegexOptions.Singleline);

    public async Task<ScriptResult> Run(string scriptPath, CancellationToken ct = default)
    {
        var name = Path.GetFileName(scriptPath);
        var script = ImaptestScript.Parse(name, await File.ReadAllTextAsync(scriptPath, ct));
        var mbox = File.Exists(scriptPath + ".mbox") ? scriptPath + ".mbox" : Path.Combine(Path.GetDirectoryName(scriptPath)!, "default.mbox");
        var run = new ScriptRun(this, script, Mbox.Read(mbox));
        try
        {
            await run.Execute(ct);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or System.Net.Sockets.SocketException or FormatException)
        {
            run.Failures.Add($"aborted: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            await run.DisposeAsync();
        }
        return new ScriptResult(name, run.SkipReason, run.Failures, run.Transcript.ToString());
    }

    private sealed class ScriptRun(ImaptestRunner owner, ImaptestScript script, IReadOnlyList<string> messages) : IAsyncDisposable
    {
        private readonly List<ImapLineConnection> conns = [];
        private readonly ReplyMatcher matcher = new(Predefined(owner));
        private int tagCounter, nextMessage;
        public readonly List<string> Failures = [];
        public readonly StringBuilder Transcript = new();
        public string? SkipReason;

        private static Dictionary<string, string> Predefined(ImaptestRunner o)
        {
            var at = o.target.User.IndexOf('@');
            return new()
            {
                ["user"] = o.target.User, ["username"] = at < 0 ? o.target.User : o.target.User[..at],
                ["domain"] = at < 0 ? "" : o.target.User[(at + 1)..], ["password"] = o.target.Password, ["mailbox"] = o.mailbox,
            };
        }

        public async Task Execute(CancellationToken ct)
        {
            for (var i = 0; i < script.Connections; i++)
            {
                var c = await ImapLineConnection.Open(owner.target, ct);
                conns.Add(c);
                var greeting = await Read(i, ct);
                if (!Regex.IsMatch(greeting, @"^\* (OK|PREAUTH)\b", RegexOptions.IgnoreCase)) throw new IOException($"bad greeting: {greeting}");
            }
            if (script.State != "nonauth")
                for (var i = 0; i < conns.Count; i++)
                    await Setup(i, $"LOGIN {Quote(owner.target.User)} {Quote(owner.target.Password)}", ct);
            if (Failures.Count > 0) return;
            var (_, capReplies) = await Setup(0, "CAPABILITY", ct);
            var caps = capReplies.SelectMany(r => r.Text.Split(' ')).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var missing = script.Capabilities.Where(x => !caps.Contains(x)).ToList();
            if (missing.Count > 0) { SkipReason = "server lacks " + string.Join(' ', missing); return; }

            if (script.State != "nonauth") await DeleteTestMailboxes(ct);
            if (script.State is "created" or "appended" or "selected") await Setup(0, $"CREATE {Quote(owner.mailbox)}", ct);
            if (script.State is "appended" or "selected")
                for (var n = 0; n < (script.Messages ?? messages.Count); n++)
                    if (await Command(0, NewTag(), $"APPEND {Quote(owner.mailbox)}", NextMessage(), [], ct) is var r && !r.Split(' ').ElementAtOrDefault(1)!.Equals("OK", StringComparison.OrdinalIgnoreCase))
                        Failures.Add($"setup: APPEND -> {r}");
            if (script.State == "selected")
                for (var i = 0; i < conns.Count; i++) await Setup(i, $"SELECT {Quote(owner.mailbox)}", ct);
            if (Failures.Count > 0) return;

            foreach (var step in script.Steps) await Step(step, ct);
            for (var i = 0; i < conns.Count; i++)
                try { await conns[i].Send($"{NewTag()} LOGOUT\r\n", ct); } catch (IOException) { }
        }

        /// <summary>"auth" state: every mailbox named after the test mailbox goes, deepest first.</summary>
        private async Task DeleteTestMailboxes(CancellationToken ct)
        {
            var (_, list) = await Setup(0, $"LIST \"\" {Quote(owner.mailbox + "*")}", ct);
            var names = list.Where(r => r.Tokens.Count >= 5).Select(r => r.Tokens[^1] switch
            {
                AtomToken a => a.Text, StringToken s => s.Value, _ => null,
            }).OfType<string>().OrderByDescending(n => n.Length);
            foreach (var n in names) await Setup(0, $"DELETE {Quote(n)}", ct, quiet: true);
        }

        private string NextMessage() => messages[nextMessage++ % messages.Count];

        private string NewTag() => $"t{++tagCounter}";

        private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

        private async Task<(string Status, List<UntaggedReply> Replies)> Setup(int conn, string command, CancellationToken ct, bool quiet = false)
        {
            var replies = new List<UntaggedReply>();
            var tag = NewTag();
            var tagged = await Command(conn, tag, command, null, replies, ct);
            var status = tagged.Split(' ').ElementAtOrDefault(1)?.ToLowerInvariant() ?? "";
            if (status != "ok" && !quiet) Failures.Add($"setup: {command} -> {tagged}");
            return (status, replies);
        }

        /// <summary>Sends one command (with a synchronising literal when <paramref name="literal"/> is set) and reads to its tagged reply.</summary>
        private async Task<string> Command(int conn, string tag, string text, string? literal, List<UntaggedReply> replies, CancellationToken ct)
        {
            var tags = new Dictionary<string, string?> { [tag] = await SendCommand(conn, tag, text, literal, replies, ct) };
            await ReadUntilTagged(conn, tags, replies, [], ct);
            return tags[tag] ?? "";
        }

        /// <summary>Sends a command; returns its tagged reply only when the server refused the literal (RFC 3501 §7.5), else null.</summary>
        private async Task<string?> SendCommand(int conn, string tag, string text, string? literal, List<UntaggedReply> replies, CancellationToken ct)
        {
            if (literal is null)
            {
                await Write(conn, $"{tag} {text}\r\n", ct);
                return null;
            }
            await Write(conn, $"{tag} {text} {{{Encoding.Latin1.GetByteCount(literal)}}}\r\n", ct);
            while (true)
            {
                var r = await Read(conn, ct);
                if (r.StartsWith('+')) break;
                if (r.StartsWith("* ")) { replies.Add(new UntaggedReply(r, ImapTokenizer.Reply(r), null)); continue; }
                return r;
            }
            await Write(conn, literal + "\r\n", ct, summary: $"<literal {literal.Length} bytes>");
            return null;
        }

        private async Task Step(ScriptStep step, CancellationToken ct)
        {
            var tags = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            var tagOf = new Dictionary<ScriptCommand, string>();
            var replies = new List<UntaggedReply>();
            var expunged = new Dictionary<int, List<int>>();
            foreach (var cmd in step.Commands)
            {
                var text = matcher.Expand(cmd.Text, out var unbound);
                if (unbound is not null) { Failures.Add($"line {cmd.Line}: variable ${unbound} has no value"); return; }
                string? literal = null;
                if (LiteralInCommand.Match(text) is { Success: true } lm)
                {
                    literal = lm.Groups[1].Value.Replace("\r\n", "\n").Replace("\n", "\r\n");
                    text = text[..lm.Index].TrimEnd();
                }
                else if (Regex.IsMatch(text, @"^append\b", RegexOptions.IgnoreCase))
                {
                    // "append [mailbox [flags]]": the runner adds the next mbox message (and $mailbox if absent).
                    literal = NextMessage();
                    if (text.Trim().Length == "append".Length) text = $"APPEND {Quote(owner.mailbox)}";
                }
                var tag = cmd.Tag ?? NewTag();
                tagOf[cmd] = tag;
                var c = cmd.Connection - 1;
                expunged.TryAdd(c, []);
                tags[tag] = await SendCommand(c, tag, text, literal, replies, ct);
            }
            foreach (var conn in step.Commands.Select(x => x.Connection - 1).Distinct())
                await ReadUntilTagged(conn, tags, replies, expunged[conn], ct);

            foreach (var cmd in step.Commands)
            {
                var tagged = tags[tagOf[cmd]] ?? "";
                var rest = tagged[(tagged.IndexOf(' ') + 1)..];
                var status = rest.Split(' ')[0].ToLowerInvariant();
                if (cmd.Status != "" && status != cmd.Status) { Failures.Add($"line {cmd.Line}: expected {cmd.Status!.ToUpperInvariant()}, got: {tagged}"); continue; }
                if (cmd.Prefix.Length > 0)
                {
                    var actual = new UntaggedReply("* " + rest, ImapTokenizer.Reply("* " + rest), null);
                    if (!matcher.Matches(ImapTokenizer.Pattern($"* {status} {cmd.Prefix}"), actual))
                        Failures.Add($"line {cmd.Line}: tagged reply does not start with {cmd.Prefix}: {tagged}");
                }
            }
            foreach (var expect in step.Replies.Where(r => r.Kind != '?'))
            {
                var pattern = ImapTokenizer.Pattern(expect.Pattern);
                var hit = replies.FirstOrDefault(r => matcher.Matches(pattern, r));
                if (expect.Kind == '*' && hit is null) Failures.Add($"line {expect.Line}: no reply matches {expect.Pattern}");
                if (expect.Kind == '!' && hit is not null) Failures.Add($"line {expect.Line}: banned reply {hit.Text}");
            }
        }

        /// <summary>Reads until every tag in <paramref name="tags"/> sent on this connection has its tagged reply.</summary>
        private async Task ReadUntilTagged(int conn, Dictionary<string, string?> tags, List<UntaggedReply> replies, List<int> expunged, CancellationToken ct)
        {
            while (tags.Any(t => t.Value is null && sentOn.TryGetValue(t.Key, out var c) && c == conn))
            {
                var r = await Read(conn, ct);
                if (r.StartsWith("* "))
                {
                    var tokens = ImapTokenizer.Reply(r);
                    int? original = null;
                    if (tokens.Count >= 3 && tokens[1] is AtomToken { Text: var num } && int.TryParse(num, out var seq)
                        && tokens[2] is AtomToken { Text: var kind } && kind.ToUpperInvariant() is "EXPUNGE" or "FETCH")
                    {
                        original = Original(seq, expunged);
                        if (kind.Equals("EXPUNGE", StringComparison.OrdinalIgnoreCase)) expunged.Add(original.Value);
                    }
                    replies.Add(new UntaggedReply(r, tokens, original));
                }
                else if (!r.StartsWith('+'))
                {
                    var tag = r.Split(' ')[0];
                    if (tags.ContainsKey(tag)) tags[tag] = r;
                    else Failures.Add($"reply with an unknown tag: {r}");
                }
            }
        }

        /// <summary>The sequence number message <paramref name="seq"/> had before the expunges seen so far in this command.</summary>
        private static int Original(int seq, List<int> expunged)
        {
            var o = 0;
            for (var left = seq; left > 0;) if (!expunged.Contains(++o)) left--;
            return o;
        }

        private readonly Dictionary<string, int> sentOn = new(StringComparer.OrdinalIgnoreCase);

        private async Task Write(int conn, string text, CancellationToken ct, string? summary = null)
        {
            if (summary is null && text.Split(' ', 2)[0] is var tag && tag.Length > 0) sentOn[tag] = conn;
            Log(conn, "C", summary ?? text.TrimEnd());
            await conns[conn].Send(text, ct);
        }

        private async Task<string> Read(int conn, CancellationToken ct)
        {
            var r = await conns[conn].ReadReply(ct);
            Log(conn, "S", r);
            return r;
        }

        private void Log(int conn, string dir, string text)
        {
            if (Transcript.Length > 200_000) return;
            var line = text.Replace("\r\n", "\\r\\n");
            Transcript.Append(conn + 1).Append(dir).Append(": ").AppendLine(line.Length > 400 ? line[..400] + "..." : line);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var c in conns) await c.DisposeAsync();
        }
    }
}

/// <summary>Reads an mbox file (the imaptest fixtures): messages split at "From " lines, line ends made CRLF.</summary>
public static class Mbox
{
    public static IReadOnlyList<string> Read(string path)
    {
        var text = File.ReadAllText(path, Encoding.Latin1).Replace("\r\n", "\n");
        if (text.EndsWith('\n')) text = text[..^1];
        var messages = new List<string>();
        StringBuilder? current = null;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("From ", StringComparison.Ordinal))
            {
                if (current is not null) messages.Add(current.ToString());
                current = new StringBuilder();
                continue;
            }
            current?.Append(line).Append("\r\n");
        }
        if (current is not null) messages.Add(current.ToString());
        return messages;
    }
}
