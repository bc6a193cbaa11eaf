using System.Text;
using System.Text.RegularExpressions;
using MailLab.Tests.Support;

namespace MailLab.Tests.Imap;

/// <summary>
/// Issue 20 item 14: every FETCH item works on any octets the store accepted (APPEND takes any
/// non-empty literal; Maildir files may be dropped in by hand), and the sections stay consistent:
/// BODY[HEADER] + BODY[TEXT] = BODY[], whichever path (header block or full parse) served them.
/// </summary>
public sealed class ImapOddMessageTests : LabTest
{
    public static readonly TheoryData<string, string> OddMessages = new()
    {
        { "no header", "just a body" },
        { "no header, two lines", "just a body\r\nsecond line\r\n" },
        { "no body", "Subject: no body\r\n\r\n" },
        { "only a header, no blank line", "Subject: only a header" },
        { "only a header line with CRLF", "Subject: only a header\r\n" },
        { "bare LF", "Subject: bare\nFrom: a@b.test\n\nbody with\nbare LF\n" },
        { "empty line first", "\r\nbody after an empty header\r\n" },
        { "binary bytes", "\u0000\u0001\u007f binary\r\n\r\nmore\u0000" },
        { "leading space", " folded first line\r\nSubject: x\r\n\r\nbody" },
        { "colon first", ": no name\r\n\r\nbody" },
        { "junk line in header", "Subject: x\r\njunk line without colon\r\nFrom: a@b.test\r\n\r\nbody\r\n" },
        { "broken boundary", "Content-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nhi\r\n--Y--\r\n" },
        { "nested multipart without end", "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\nContent-Type: multipart/alternative; boundary=Y\r\n\r\n--Y\r\nContent-Type: text/plain\r\n\r\ninner\r\n" },
        { "multipart without boundary", "Content-Type: multipart/mixed\r\n\r\nno boundary at all\r\n" },
        { "embedded message without header", "Content-Type: message/rfc822\r\n\r\njust a body inside\r\n" },
        { "broken headers", "From: <<<@@@>>>\r\nTo: ,,,;\r\nDate: yesterday\r\nContent-Type: text/\r\nContent-Disposition: ;;;\r\nContent-Language: ,\r\nContent-Transfer-Encoding: \r\n\r\nbody" },
        { "mbox From line", "From someone Sat Nov 28 12:00:00 2026\r\nSubject: mbox\r\n\r\nbody" },
        { "only CRLF", "\r\n" },
        { "empty", "" },
    };

    [Theory]
    [MemberData(nameof(OddMessages))]
    public async Task Every_fetch_item_answers_and_the_sections_add_up(string name, string text)
    {
        _ = name;
        // Straight into the store, as the MDA or a file dropped into new/ would put it (APPEND refuses an empty literal).
        await ImapTestMail.PutAsync(lab.Store, text);
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await t.Expect("S SELECT INBOX", "OK");
        string[] fetches =
        [
            "(FLAGS UID INTERNALDATE RFC822.SIZE)",
            "ENVELOPE",
            "BODY",
            "BODYSTRUCTURE",
            "(ENVELOPE BODYSTRUCTURE)",
            "ALL", "FAST", "FULL",
            "BODY.PEEK[]", "BODY.PEEK[HEADER]", "BODY.PEEK[TEXT]",
            "BODY.PEEK[1]", "BODY.PEEK[1.MIME]", "BODY.PEEK[2]", "BODY.PEEK[1.1]", "BODY.PEEK[1.2.3]",
            "BODY.PEEK[1.HEADER]", "BODY.PEEK[1.TEXT]", "BODY.PEEK[2.MIME]",
            "BODY.PEEK[HEADER.FIELDS (From Subject Date)]", "BODY.PEEK[HEADER.FIELDS.NOT (From)]",
            "(BODY.PEEK[HEADER.FIELDS (Subject)] ENVELOPE)",
            "BODY.PEEK[]<0.5>", "BODY.PEEK[TEXT]<3.100>",
            "RFC822.HEADER", "RFC822.TEXT", "RFC822",
        ];
        var n = 0;
        foreach (var items in fetches)
        {
            var lines = await t.Expect($"F{++n} FETCH 1 {items}", "OK");
            Assert.Contains(lines, l => l.StartsWith("* 1 FETCH (", StringComparison.Ordinal));
        }
        await t.Expect("X1 SEARCH TEXT body", "OK");
        await t.Expect("X2 SEARCH HEADER Subject x FROM a", "OK");
        await t.Expect("X3 SEARCH BODY inner SENTBEFORE 1-Jan-2030", "OK");

        if (text.Any(c => c < ' ' && c is not '\r' and not '\n'))
        {
            return; // the transcript reads UTF-8 text; octet counts of control characters are checked elsewhere
        }
        // The header-block path (HEADER alone) and the full parse (HEADER with TEXT) agree, and add up to BODY[].
        var all = Section(await t.Expect("C1 FETCH 1 BODY.PEEK[]", "OK"), "BODY[]");
        Assert.Equal(text, all);
        var headerAlone = Section(await t.Expect("C2 FETCH 1 BODY.PEEK[HEADER]", "OK"), "BODY[HEADER]");
        var both = await t.Expect("C3 FETCH 1 (BODY.PEEK[HEADER] BODY.PEEK[TEXT])", "OK");
        Assert.Equal(headerAlone, Section(both, "BODY[HEADER]"));
        Assert.Equal(all, headerAlone + Section(both, "BODY[TEXT]"));
        var size = await t.Expect("C4 FETCH 1 RFC822.SIZE", "OK");
        Assert.Equal($"* 1 FETCH (RFC822.SIZE {Encoding.UTF8.GetByteCount(text)})", size[0]);
    }

    [Fact]
    public async Task A_message_without_a_header_has_an_empty_header_and_its_octets_are_the_text()
    {
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await t.Expect("A APPEND INBOX {11+}\r\njust a body", "OK [APPENDUID");
        await t.Expect("S SELECT INBOX", "OK");
        var structure = await t.Expect("1 FETCH 1 BODYSTRUCTURE", "OK");
        Assert.Equal("* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 11 1 NIL NIL NIL NIL))", structure[0]);
        var envelope = await t.Expect("2 FETCH 1 ENVELOPE", "OK");
        Assert.Equal("* 1 FETCH (ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))", envelope[0]);
        Assert.Equal("", Section(await t.Expect("3 FETCH 1 BODY.PEEK[HEADER]", "OK"), "BODY[HEADER]"));
        Assert.Equal("just a body", Section(await t.Expect("4 FETCH 1 BODY.PEEK[TEXT]", "OK"), "BODY[TEXT]"));
        Assert.Equal("just a body", Section(await t.Expect("5 FETCH 1 BODY.PEEK[1]", "OK"), "BODY[1]"));
        await t.Expect("6 NOOP", "OK");
    }

    [Fact]
    public async Task Octets_that_are_not_UTF8_are_served_as_stored()
    {
        byte[] odd = [0xFF, 0xFE, 0x00, (byte)' ', 0x80, 0x0D, 0x0A, 0x0D, 0x0A, 0xC3];
        await using (var p = await lab.Store.BeginAsync("alice@uc.test", "INBOX", default))
        {
            await p.Content.WriteAsync(odd);
            await p.CommitAsync();
        }
        await using var t = await ImapTranscript.LoggedInAsync(lab.Site("uc"));
        await t.Expect("S SELECT INBOX", "OK");
        foreach (var items in new[] { "BODYSTRUCTURE", "ENVELOPE", "BODY.PEEK[HEADER]", "(BODY.PEEK[HEADER] BODY.PEEK[TEXT])", "BODY.PEEK[1]", "RFC822" })
        {
            var lines = await t.Expect("F FETCH 1 " + items, "OK");
            Assert.StartsWith("* 1 FETCH (", lines[0]);
        }
        Assert.Contains("BODY[] {10}", (await t.Expect("G FETCH 1 BODY.PEEK[]", "OK"))[0]);
    }

    /// <summary>The literal of <paramref name="item"/> in a FETCH response (as the transcript inlines it), or "" for NIL/"".</summary>
    private static string Section(List<string> lines, string item)
    {
        var line = lines.First(l => l.StartsWith("* 1 FETCH (", StringComparison.Ordinal));
        var at = line.IndexOf(item + " ", StringComparison.Ordinal);
        Assert.True(at >= 0, $"{item} not in {line}");
        var rest = line[(at + item.Length + 1)..];
        if (rest.StartsWith("\"\"", StringComparison.Ordinal) || rest.StartsWith("NIL", StringComparison.Ordinal))
        {
            return "";
        }
        var m = Regex.Match(rest, @"^\{(\d+)\}\r\n");
        Assert.True(m.Success, $"{item} is not a literal in {line}");
        return rest.Substring(m.Length, int.Parse(m.Groups[1].Value));
    }
}
