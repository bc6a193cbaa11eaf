using System.Text.RegularExpressions;
using MailLab.Tests.Support;

namespace MailLab.Tests.Integration;

/// <summary>
/// The README's "Commands" table against the program: every command it names exists, with every
/// option it names in that command's <c>--help</c>; and its test command is the one <c>.ci/run</c> runs.
/// </summary>
public sealed class ReadmeCommandsTests
{
    private static string RepositoryFile(string relative) => Repository.PathOf(relative);

    private static IEnumerable<string> CommandSpans()
    {
        var readme = File.ReadAllText(RepositoryFile("README.md"));
        var table = readme[readme.IndexOf("\n## Commands", StringComparison.Ordinal)..];
        table = table[..table.IndexOf("\n\n", table.IndexOf("| command", StringComparison.Ordinal), StringComparison.Ordinal)];
        foreach (var row in table.Split('\n').Where(l => l.StartsWith("| `maillab", StringComparison.Ordinal)))
        {
            var first = row.Split(" | ")[0];
            foreach (Match m in Regex.Matches(first, "`(maillab [^`]+)`")) yield return m.Groups[1].Value;
        }
    }

    [Fact]
    public async Task Every_command_and_option_in_the_commands_table_is_in_the_programs_help()
    {
        var spans = CommandSpans().ToList();
        Assert.Contains(spans, s => s.StartsWith("maillab up ", StringComparison.Ordinal));
        foreach (var span in spans)
        {
            var tokens = span.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..];
            var words = tokens.TakeWhile(t => Regex.IsMatch(t, "^[a-z]+$")).ToArray();
            if (words.Length == 0) continue; // maillab --help, --version
            var (code, help, err) = await MailLabProcess.Run([.. words, "--help"]);
            Assert.True(code == 0, $"'{span}': maillab {string.Join(' ', words)} --help exits {code}: {err}");
            foreach (Match option in Regex.Matches(span, @"--[a-z][a-z-]*"))
            {
                Assert.True(help.Contains(option.Value + " ", StringComparison.Ordinal), $"'{span}': {option.Value} is not in 'maillab {string.Join(' ', words)} --help':\n{help}");
            }
            // "exercise list\|show N\|...": each alternative is a subcommand of the command.
            var rest = string.Join(' ', tokens.Skip(words.Length));
            if (rest.Contains("\\|", StringComparison.Ordinal) && !rest.StartsWith('[') && !rest.StartsWith('-'))
            {
                foreach (var alternative in rest.Split("\\|"))
                {
                    Assert.Matches($@"(?m)^\s+{Regex.Escape(alternative.Trim().Split(' ')[0])}\s", help);
                }
            }
        }
    }

    [Fact]
    public void The_readme_test_command_is_the_one_ci_runs()
    {
        var readme = File.ReadAllText(RepositoryFile("README.md"));
        var twoCommands = readme[readme.IndexOf("## The two commands", StringComparison.Ordinal)..];
        twoCommands = twoCommands[..twoCommands.IndexOf("```\n", twoCommands.IndexOf("```sh", StringComparison.Ordinal) + 5, StringComparison.Ordinal)];
        Assert.Contains("\ntests/run.sh\n", twoCommands);
        Assert.Contains("TEST_CMD='bash tests/run.sh'", File.ReadAllText(RepositoryFile(".ci/run")));
        Assert.Contains("dotnet test MailLab.sln", File.ReadAllText(RepositoryFile("tests/run.sh")));
    }
}
