namespace MailLab.Tests.Exercises.Handouts;

/// <summary><see cref="HandoutScript"/>: a handout's fenced blocks and annotations as the steps a student performs.</summary>
public sealed class HandoutScriptTests
{
    [Fact]
    public void Reads_commands_connections_dialogues_and_checks_in_order()
    {
        const string md = """
            1. Connect:

               ```sh
               ls maillab-data/ # look
               nc -C 127.0.2.1 2525          # or: telnet 127.0.2.1 2525
               ```

               Then:

               ```
               EHLO workstation.uc.test
               ```

               <!-- check: greeted-mta -->

            <!-- expect: 503 -->
            ```
            RCPT TO:<bob@bank.test>
            DATA
            Subject: x

            body
            .
            ```
            """;
        var steps = HandoutScript.Parse(md);
        Assert.Collection(steps,
            s => Assert.Equal("ls maillab-data/ # look", Assert.IsType<ShellStep>(s).Command),
            s => Assert.Equal("nc -C 127.0.2.1 2525", Assert.IsType<ConnectStep>(s).Command),
            s => Assert.Equal(["EHLO workstation.uc.test"], Assert.IsType<TypeStep>(s).Lines),
            s => Assert.Equal(["greeted-mta"], Assert.IsType<CheckStep>(s).Objectives),
            s =>
            {
                var t = Assert.IsType<TypeStep>(s);
                Assert.Equal(["RCPT TO:<bob@bank.test>", "DATA", "Subject: x", "", "body", "."], t.Lines);
                Assert.Equal(["503"], t.ExpectedErrors);
            });
    }

    [Fact]
    public void Joins_continuation_lines_and_reads_lab_starts_and_expected_exits()
    {
        const string md = """
            ```sh
            maillab exercise start 3
            maillab up --switch reject-spf-fail --switch show-dmarc-verdict=off   # restart
            ```
            <!-- expect: exit 25 -->
            ```bash
            swaks --server 127.0.2.1 \
                  --port 2525
            printf 'x' | nc -C 127.0.1.1 5587
            ```
            ```yaml
            not: run
            ```
            <!-- not-run: needs root -->
            ```sh
            sudo tcpdump -i lo
            ```
            """;
        var steps = HandoutScript.Parse(md);
        Assert.Collection(steps,
            s => Assert.Equal(3, Assert.IsType<LabStartStep>(s).Exercise),
            s => Assert.Equal([("reject-spf-fail", true), ("show-dmarc-verdict", false)], Assert.IsType<LabStartStep>(s).Switches),
            s => Assert.Equal("swaks --server 127.0.2.1 --port 2525", Assert.IsType<ShellStep>(s).Command),
            s => Assert.IsType<ShellStep>(s), // a pipe into nc is not typed into
            s => Assert.Equal("needs root", Assert.IsType<NotRunStep>(s).Reason));
        Assert.Equal([25], ((ShellStep)steps[2]).ExpectedExit);
    }

    [Theory]
    [InlineData("```\nEHLO x\n```\n", "line 1: a plain block (a dialogue) with no connection open")]
    [InlineData("```sh\nnc -C 127.0.2.1 2525\nls\n```\n", "line 3: a command after an interactive connection")]
    [InlineData("<!-- chek: x -->\n", "line 1: unknown runner annotation 'chek'")]
    [InlineData("<!-- expect: maybe -->\n```sh\nls\n```\n", "line 1: 'expect: maybe'")]
    [InlineData("<!-- expect: 503 -->\n```sh\nls\n```\n", "line 1: 'expect: 503' is for a dialogue")]
    [InlineData("```sh\nls\n", "line 1: the fenced block is not closed")]
    [InlineData("<!-- not-run: why -->\ntext\n", "line 1: 'not-run' with no fenced block")]
    public void A_malformed_handout_is_an_error_naming_the_line(string md, string error) =>
        Assert.StartsWith(error, Assert.Throws<FormatException>(() => HandoutScript.Parse(md)).Message);

    [Theory]
    [InlineData("swaks --header 'Subject: #1' # send", "swaks --header 'Subject: #1'")]
    [InlineData("echo a#b", "echo a#b")]
    public void Strips_a_trailing_comment_outside_quotes(string command, string bare) =>
        Assert.Equal(bare, HandoutScript.StripComment(command));
}
