using System.Text.RegularExpressions;

namespace MailLab.Tests.Exercises.Handouts;

/// <summary>One thing a student does when following a handout, in the handout's order.</summary>
/// <param name="Line">The handout line it comes from (1-based), for failure messages.</param>
internal abstract record HandoutStep(int Line);

/// <summary>A shell command (one logical line of a <c>sh</c> block, continuations joined), run in bash.</summary>
/// <param name="ExpectedExit">Exit statuses other than 0 the handout announces (<c>&lt;!-- expect: exit 25 --&gt;</c>).</param>
internal sealed record ShellStep(int Line, string Command, IReadOnlyList<int> ExpectedExit) : HandoutStep(Line);

/// <summary><c>maillab up [--switch NAME[=off]]...</c> or <c>maillab exercise start N</c>: (re)start the lab with these switches.</summary>
/// <param name="Switches">The switches given with <c>--switch</c> (name, on).</param>
/// <param name="Exercise">For <c>exercise start N</c>: N (the lab starts with that exercise's lab-switches).</param>
internal sealed record LabStartStep(int Line, string Command, IReadOnlyList<(string Name, bool On)> Switches, int? Exercise) : HandoutStep(Line);

/// <summary>An interactive connection (<c>nc</c>, <c>telnet</c>, <c>openssl s_client</c>) the following plain blocks are typed into.</summary>
internal sealed record ConnectStep(int Line, string Command) : HandoutStep(Line);

/// <summary>Lines of a plain block, typed into the open connection one by one.</summary>
/// <param name="ExpectedErrors">Error replies the handout announces (<c>&lt;!-- expect: 503 --&gt;</c>); any other error reply fails.</param>
internal sealed record TypeStep(int Line, IReadOnlyList<string> Lines, IReadOnlyList<string> ExpectedErrors) : HandoutStep(Line);

/// <summary><c>&lt;!-- check: id ... --&gt;</c>: at this point these objectives are met.</summary>
internal sealed record CheckStep(int Line, IReadOnlyList<string> Objectives) : HandoutStep(Line);

/// <summary>A block the handout marks <c>&lt;!-- not-run: reason --&gt;</c> (a packet capture as root, a GUI).</summary>
internal sealed record NotRunStep(int Line, string Reason) : HandoutStep(Line);

/// <summary>
/// Reads a handout (Markdown) into the steps a student performs: the fenced blocks in order and the
/// runner annotations (HTML comments, invisible when the handout is rendered). Pure: text in, steps out.
/// </summary>
/// <remarks>
/// - <c>```sh</c> (or bash, shell) blocks are shell commands; a <c>maillab up</c> or <c>maillab exercise
///   start N</c> line (re)starts the lab; an <c>nc</c>, <c>telnet</c> or <c>openssl s_client</c> line
///   without a pipe opens a connection, and must be the last command of its block.
/// - Plain <c>```</c> blocks are typed into the connection opened last; it stays open until the next
///   shell block. A plain block with no connection open is an error.
/// - Blocks in other languages (<c>```yaml</c>, <c>```text</c>) are shown, not run.
/// - Annotations: <c>&lt;!-- check: id id --&gt;</c> anywhere; <c>&lt;!-- expect: exit 25 --&gt;</c>,
///   <c>&lt;!-- expect: 503 --&gt;</c> and <c>&lt;!-- not-run: reason --&gt;</c> apply to the next fenced block.
/// </remarks>
internal static partial class HandoutScript
{
    [GeneratedRegex(@"^\s*<!--\s*(?<key>check|expect|not-run)\s*:\s*(?<value>.*?)\s*-->\s*$")]
    private static partial Regex Annotation();

    [GeneratedRegex(@"^\s*<!--\s*(?<key>[a-z-]+)\s*:")]
    private static partial Regex AnyAnnotation();

    [GeneratedRegex(@"^\s*```\s*(?<lang>[\w-]*)\s*$")]
    private static partial Regex Fence();

    [GeneratedRegex(@"^maillab\s+(?:up\b(?<up>.*)|exercise\s+start\s+(?<n>\d+)\b.*)$")]
    private static partial Regex LabStart();

    [GeneratedRegex(@"--switch[ =](?<name>[a-z0-9-]+)(?:=(?<value>\w+))?")]
    private static partial Regex SwitchOption();

    [GeneratedRegex(@"^(?:nc|ncat|telnet)\s|^openssl\s+s_client\b")]
    private static partial Regex Interactive();

    /// <summary>The steps of <paramref name="markdown"/>; throws <see cref="FormatException"/> naming the line of a malformed block or annotation.</summary>
    public static IReadOnlyList<HandoutStep> Parse(string markdown)
    {
        var steps = new List<HandoutStep>();
        string[] lines = markdown.Replace("\r\n", "\n").Split('\n');
        IReadOnlyList<int> expectExit = [];
        IReadOnlyList<string> expectErrors = [];
        string? notRun = null;
        int annotationLine = 0;
        bool connectionOpen = false;
        for (int i = 0; i < lines.Length; i++)
        {
            var a = Annotation().Match(lines[i]);
            if (a.Success)
            {
                string value = a.Groups["value"].Value;
                switch (a.Groups["key"].Value)
                {
                    case "check":
                        var ids = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                        if (ids.Length == 0) throw new FormatException($"line {i + 1}: '<!-- check: -->' names no objective");
                        steps.Add(new CheckStep(i + 1, ids));
                        break;
                    case "not-run":
                        if (value.Length == 0) throw new FormatException($"line {i + 1}: '<!-- not-run: -->' needs a reason");
                        notRun = value;
                        annotationLine = i + 1;
                        break;
                    default:
                        (expectExit, expectErrors) = ParseExpect(value, i + 1);
                        annotationLine = i + 1;
                        break;
                }
                continue;
            }
            if (AnyAnnotation().Match(lines[i]) is { Success: true } unknown)
            {
                throw new FormatException($"line {i + 1}: unknown runner annotation '{unknown.Groups["key"].Value}' (check, expect, not-run)");
            }
            var fence = Fence().Match(lines[i]);
            if (!fence.Success) continue;

            int start = i + 1;
            int end = start;
            while (end < lines.Length && !Fence().IsMatch(lines[end])) end++;
            if (end == lines.Length) throw new FormatException($"line {i + 1}: the fenced block is not closed");
            var body = lines[start..end];
            string lang = fence.Groups["lang"].Value;
            i = end;

            if (notRun is not null)
            {
                steps.Add(new NotRunStep(start, notRun));
                notRun = null;
                expectExit = [];
                expectErrors = [];
                continue;
            }
            if (lang is "sh" or "bash" or "shell")
            {
                connectionOpen = false;
                if (expectErrors.Count > 0) throw new FormatException($"line {annotationLine}: 'expect: {string.Join(' ', expectErrors)}' is for a dialogue (a plain block); a shell block expects 'exit N'");
                foreach (var step in ShellBlock(body, start + 1, expectExit))
                {
                    if (connectionOpen) throw new FormatException($"line {step.Line}: a command after an interactive connection in the same block; put the connection last and type its dialogue in a plain block after it");
                    steps.Add(step);
                    connectionOpen = step is ConnectStep;
                }
            }
            else if (lang.Length == 0)
            {
                if (!connectionOpen) throw new FormatException($"line {start}: a plain block (a dialogue) with no connection open before it (nc, telnet or openssl s_client in a sh block)");
                if (expectExit.Count > 0) throw new FormatException($"line {annotationLine}: 'expect: exit N' is for a shell block, not a dialogue");
                // The fence's indentation (a block inside a list item) is not typed; a blank line is (DATA's header/body separator).
                int indent = lines[start - 1].Length - lines[start - 1].TrimStart().Length;
                var typed = body.Select(l => (l.Length - l.TrimStart().Length >= indent ? l[indent..] : l.TrimStart()).TrimEnd())
                    .SkipWhile(l => l.Length == 0).ToList();
                while (typed.Count > 0 && typed[^1].Length == 0) typed.RemoveAt(typed.Count - 1);
                steps.Add(new TypeStep(start + 1, typed, expectErrors));
            }
            expectExit = [];
            expectErrors = [];
        }
        if (notRun is not null) throw new FormatException($"line {annotationLine}: 'not-run' with no fenced block after it");
        return steps;
    }

    private static (IReadOnlyList<int> Exit, IReadOnlyList<string> Errors) ParseExpect(string value, int line)
    {
        var words = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length >= 2 && words[0] == "exit" && words.Skip(1).All(w => int.TryParse(w, out _)))
        {
            return (words.Skip(1).Select(int.Parse).ToList(), []);
        }
        if (words.Length >= 1 && words.All(w => Regex.IsMatch(w, @"^([45]\d\d|-ERR|NO|BAD)$")))
        {
            return ([], words);
        }
        throw new FormatException($"line {line}: 'expect: {value}': write 'exit N' (a shell block's status) or reply codes (503, -ERR, NO, BAD)");
    }

    private static IEnumerable<HandoutStep> ShellBlock(string[] body, int firstLine, IReadOnlyList<int> expectExit)
    {
        for (int k = 0; k < body.Length; k++)
        {
            int line = firstLine + k;
            string command = body[k].Trim();
            while (command.EndsWith('\\') && k + 1 < body.Length)
            {
                command = command[..^1].TrimEnd() + " " + body[++k].Trim();
            }
            if (command.Length == 0 || command.StartsWith('#')) continue;
            string bare = StripComment(command);
            var start = LabStart().Match(bare);
            if (start.Success)
            {
                var switches = SwitchOption().Matches(bare)
                    .Select(m => (m.Groups["name"].Value, !m.Groups["value"].Success || m.Groups["value"].Value is "on" or "true"))
                    .ToList();
                int? n = start.Groups["n"].Success ? int.Parse(start.Groups["n"].Value) : null;
                yield return new LabStartStep(line, bare, switches, n);
            }
            else if (Interactive().IsMatch(bare) && !bare.Contains('|'))
            {
                yield return new ConnectStep(line, bare);
            }
            else
            {
                yield return new ShellStep(line, command, expectExit);
            }
        }
    }

    /// <summary>The command without a trailing <c># comment</c> (a '#' after whitespace, outside quotes).</summary>
    internal static string StripComment(string command)
    {
        char quote = '\0';
        for (int i = 0; i < command.Length; i++)
        {
            char c = command[i];
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '#' && i > 0 && char.IsWhiteSpace(command[i - 1]))
            {
                return command[..i].TrimEnd();
            }
        }
        return command;
    }
}
