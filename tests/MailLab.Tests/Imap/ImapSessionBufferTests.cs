using System.Text;
using MailLab.Protocols.Imap;
using MailLab.Tests.Support;

namespace MailLab.Tests.Imap;

/// <summary>
/// An idle session gives its buffers back (issue 8: zero-byte reads, a pooled response buffer released
/// after each flush, the frame buffer trimmed after a large APPEND); responses after that must still be
/// byte-exact, over TLS, across several 64 KiB flushes.
/// </summary>
public sealed class ImapSessionBufferTests : LabTest
{
    // Deterministic ASCII text of about the given size, different per seed, so a misplaced or
    // repeated buffer slice shows up in the comparison.
    private static string Large(int seed, int size)
    {
        var sb = new StringBuilder(ImapTestMail.Simple($"large {seed}", ""));
        var rnd = new Random(seed);
        while (sb.Length < size)
        {
            sb.Append($"{seed:D2}-{sb.Length:D7} ");
            for (var i = 0; i < 60; i++)
            {
                sb.Append((char)('a' + rnd.Next(26)));
            }
            sb.Append("\r\n");
        }
        return sb.ToString();
    }

    private static string Literal(string response)
    {
        var open = response.IndexOf("BODY[] {", StringComparison.Ordinal);
        var start = response.IndexOf("\r\n", open, StringComparison.Ordinal) + 2;
        var size = int.Parse(response[(open + 8)..response.IndexOf('}', open)]);
        return response.Substring(start, size);
    }

    [Fact]
    public async Task Large_fetch_after_IDLE_arrives_byte_exact_over_TLS_and_again_after_the_buffer_was_released()
    {
        var texts = new List<string> { Large(1, 150_000), Large(2, 40_000) };
        foreach (var text in texts)
        {
            await ImapTestMail.PutAsync(lab.Store, text);
        }
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await t.Expect("1 SELECT INBOX", "OK");
        await t.SendAsync("2 IDLE");
        Assert.Equal("+ idling", await t.LineAsync());
        texts.Add(Large(3, 90_000));
        await ImapTestMail.PutAsync(lab.Store, texts[^1]);
        Assert.Equal("* 3 EXISTS", await t.LineAsync());
        Assert.Equal("* 3 RECENT", await t.LineAsync());
        await t.SendAsync("DONE");
        Assert.Equal("2 OK IDLE terminated", await t.LineAsync());

        for (var round = 0; round < 2; round++)
        {
            var fetched = await t.Expect($"F{round} FETCH 1:* (BODY.PEEK[])", "OK");
            Assert.Equal(4, fetched.Count);
            for (var i = 0; i < 3; i++)
            {
                Assert.StartsWith($"* {i + 1} FETCH (BODY[] {{{texts[i].Length}}}", fetched[i]);
                Assert.Equal(texts[i], Literal(fetched[i]));
            }
            await t.Expect($"N{round} NOOP", "OK");
        }
    }

    [Fact]
    public async Task Large_APPEND_then_pipelined_commands_are_framed_and_stored_exactly()
    {
        var text = Large(4, 3 * ImapFramer.KeptCapacity);
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        // LITERAL+ (RFC 7888): the literal and the next commands in one write.
        await t.SendRawAsync($"1 APPEND INBOX {{{text.Length}+}}\r\n{text}\r\n2 NOOP\r\n3 SELECT INBOX\r\n");
        Assert.Matches(@"^1 OK \[APPENDUID \d+ 1\] APPEND completed$", (await t.UntilTaggedAsync("1"))[^1]);
        Assert.Equal("2 OK NOOP completed", (await t.UntilTaggedAsync("2"))[^1]);
        Assert.Contains("* 1 EXISTS", await t.UntilTaggedAsync("3"));
        // A small command after the session waited (the frame buffer was trimmed), then the message back.
        await t.Expect("4 NOOP", "OK");
        var fetched = await t.Expect("5 FETCH 1 (BODY.PEEK[])", "OK");
        Assert.Equal(text, Literal(fetched[0]));
    }
}
