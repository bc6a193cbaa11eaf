using System.Text;
using MailLab.Protocols.Imap;

namespace MailLab.Tests.Protocols.Imap;

/// <summary>The IMAP grammar (RFC 3501 §9): every input is also fed one byte at a time and in one-byte segments.</summary>
public sealed class ImapParserTests
{
    [Fact]
    public void Tag_name_atoms_and_quoted_strings()
    {
        var c = ImapFeed.One("a001 login \"alice@uc.test\" \"pa ss\\\"w\\\\d\"\r\n");
        Assert.Equal("a001", c.Tag);
        Assert.Equal("LOGIN", c.Name);
        Assert.Equal("alice@uc.test", c.Arguments[0].Text);
        Assert.Equal("pa ss\"w\\d", c.Arguments[1].Text);
        Assert.False(c.Arguments[1].IsLiteral);
    }

    [Fact]
    public void Uid_prefix_sets_the_flag_and_names_the_real_command()
    {
        var c = ImapFeed.One("13 UID fetch 1:* (FLAGS)\r\n");
        Assert.True(c.Uid);
        Assert.Equal("FETCH", c.Name);
        Assert.Equal("1:*", c.Arguments[0].Text);
        Assert.Equal(ImapValueKind.List, c.Arguments[1].Kind);
    }

    [Fact]
    public void Synchronising_literal_asks_for_a_continuation_then_completes()
    {
        var results = ImapFeed.All("A1 LOGIN {5}\r\nalice {3}\r\npwd\r\n");
        Assert.Equal(["+ 5", "+ 3", "command A1 LOGIN {5 octets} {3 octets}"], results);
        var c = ImapFeed.One("A1 LOGIN {5}\r\nalice {3}\r\npwd\r\n");
        Assert.Equal("alice", c.Arguments[0].Text);
        Assert.True(c.Arguments[1].IsLiteral);
        Assert.Equal("pwd", c.Arguments[1].Text);
    }

    [Fact]
    public void Non_synchronising_literal_needs_no_continuation_and_may_hold_CRLF_and_braces()
    {
        var body = "Subject: x\r\n\r\nline {2}\r\n";
        var results = ImapFeed.All($"21 append \"Sent\" (\\Seen) {{{body.Length}+}}\r\n{body}\r\n");
        Assert.Equal([$"command 21 APPEND \"Sent\" (\\Seen) {{{body.Length} octets}}"], results);
        var c = ImapFeed.One($"21 append \"Sent\" (\\Seen) {{{body.Length}+}}\r\n{body}\r\n");
        Assert.Equal(body, Encoding.UTF8.GetString(c.Arguments[2].Bytes.Span));
    }

    [Fact]
    public void Nested_lists_and_NIL()
    {
        var c = ImapFeed.One("7 ID (\"name\" \"Thunderbird\" \"x\" (NIL (a b) ())) \r\n".Replace(" \r\n", "\r\n"));
        var list = c.Arguments[0];
        Assert.Equal(4, list.Items.Count);
        var inner = list.Items[3];
        Assert.True(inner.Items[0].IsNil);
        Assert.Equal(["a", "b"], inner.Items[1].Items.Select(i => i.Text));
        Assert.Empty(inner.Items[2].Items);
    }

    [Fact]
    public void A_bracket_outside_a_fetch_section_is_an_ordinary_atom_character()
    {
        var c = ImapFeed.One("5 SELECT a[b}c\r\n");
        Assert.Equal("a[b}c", c.Arguments[0].Text);
    }

    [Fact]
    public void An_explicit_4294967295_is_a_number_not_star()
    {
        Assert.True(SequenceSet.TryParse("7:4294967295", out var explicitMax));
        Assert.Equal([(7u, 4294967295u)], explicitMax.Resolve(6));
        Assert.True(SequenceSet.TryParse("7:*", out var star));
        Assert.Equal([(6u, 7u)], star.Resolve(6)); // RFC 3501 §6.4.8: n:* always includes the largest
    }

    [Fact]
    public void Fetch_item_with_a_section_is_one_atom_including_spaces_and_parens()
    {
        var c = ImapFeed.One("14 UID fetch 1:3 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Subject)]<0.2048>)\r\n");
        var items = c.Arguments[1].Items.Select(i => i.Text).ToList();
        Assert.Equal(["UID", "RFC822.SIZE", "FLAGS", "BODY.PEEK[HEADER.FIELDS (From To Subject)]<0.2048>"], items);
    }

    [Fact]
    public void Several_pipelined_commands_come_out_one_by_one()
    {
        var results = ImapFeed.All("1 NOOP\r\n2 CAPABILITY\r\n3 LOGOUT\r\n");
        Assert.Equal(["command 1 NOOP", "command 2 CAPABILITY", "command 3 LOGOUT"], results);
    }

    [Theory]
    [InlineData("\r\n", "*")]
    [InlineData("+tag NOOP\r\n", "*")]
    [InlineData("5\r\n", "5")]
    [InlineData("5 LOGIN \"unterminated\r\n", "5")]
    [InlineData("5 LOGIN \"bad\\escape\"\r\n", "5")]
    [InlineData("5 LIST (a b\r\n", "5")]
    [InlineData("5 FETCH 1 BODY[HEADER\r\n", "5")]
    [InlineData("5 NOOP  extra\r\n", "5")]
    public void Syntax_errors_keep_the_tag_when_there_is_one(string input, string tag)
    {
        var result = Assert.Single(ImapFeed.All(input));
        Assert.StartsWith($"error {tag}:", result);
    }

    [Fact]
    public void Lists_nested_too_deep_are_refused()
    {
        var deep = new string('(', 40) + new string(')', 40);
        Assert.StartsWith("error 9:", Assert.Single(ImapFeed.All($"9 ID {deep}\r\n")));
    }

    [Fact]
    public void A_line_over_the_limit_is_refused_once_and_the_next_command_still_works()
    {
        var results = ImapFeed.All("L1 NOOP " + new string('x', 200) + "\r\nL2 NOOP\r\n", maxLine: 64);
        Assert.Equal(["LineTooLong L1", "command L2 NOOP"], results);
    }

    [Fact]
    public void A_synchronising_literal_over_the_limit_is_refused_without_a_continuation()
    {
        var results = ImapFeed.All("A1 APPEND INBOX {5000}\r\nA2 NOOP\r\n", maxLiteral: 1000);
        Assert.Equal(["LiteralTooLarge A1", "command A2 NOOP"], results);
    }

    [Fact]
    public void A_non_synchronising_literal_over_the_limit_is_reported_as_such()
    {
        var results = ImapFeed.All("A1 APPEND INBOX {5000+}\r\n", maxLiteral: 1000);
        Assert.Equal(["NonSyncLiteralTooLarge A1"], results);
    }

    [Theory]
    [InlineData("1", new uint[] { 1 })]
    [InlineData("1:3", new uint[] { 1, 2, 3 })]
    [InlineData("3:1", new uint[] { 1, 2, 3 })]
    [InlineData("2,4:5,9:*", new uint[] { 2, 4, 5, 9, 10 })]
    [InlineData("*", new uint[] { 10 })]
    [InlineData("*:8", new uint[] { 8, 9, 10 })]
    [InlineData("1:2,2:3", new uint[] { 1, 2, 3 })]
    public void Sequence_sets_resolve_star_and_merge_ranges(string text, uint[] expected)
    {
        Assert.True(SequenceSet.TryParse(text, out var set));
        var numbers = set.Resolve(10).SelectMany(r => Enumerable.Range((int)r.Low, (int)(r.High - r.Low + 1)).Select(n => (uint)n));
        Assert.Equal(expected, numbers);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1:0")]
    [InlineData("")]
    [InlineData("1,,2")]
    [InlineData("a")]
    [InlineData("$")]
    public void Invalid_sequence_sets(string text) => Assert.False(SequenceSet.TryParse(text, out _));

    [Fact]
    public void Compact_uid_sets_for_COPYUID() => Assert.Equal("1:3,7,9:10", SequenceSet.Format([1, 2, 3, 7, 9, 10]));

    [Fact]
    public void Fetch_items_macros_sections_and_partials()
    {
        var all = FetchItem.ParseList(ImapValue.Atom("ALL"), out _)!;
        Assert.Equal([FetchKind.Flags, FetchKind.InternalDate, FetchKind.Size, FetchKind.Envelope], all.Select(i => i.Kind));

        var peek = FetchItem.Parse("BODY.PEEK[HEADER.FIELDS (From To)]", out _)!;
        Assert.True(peek.Peek);
        Assert.Equal(SectionText.HeaderFields, peek.Text);
        Assert.Equal(["From", "To"], peek.Fields!);
        Assert.Equal("BODY[HEADER.FIELDS (From To)]", peek.ResponseName());

        var part = FetchItem.Parse("body[1.2.mime]<10.20>", out _)!;
        Assert.False(part.Peek);
        Assert.Equal([1, 2], part.PartNumbers);
        Assert.Equal(SectionText.Mime, part.Text);
        Assert.Equal((10L, 20L), part.Partial);
        Assert.Equal("BODY[1.2.MIME]<10>", part.ResponseName());

        var not = FetchItem.Parse("BODY[HEADER.FIELDS.NOT (Received)]", out _)!;
        Assert.Equal(SectionText.HeaderFieldsNot, not.Text);

        var rfc822 = FetchItem.Parse("RFC822.HEADER", out _)!;
        Assert.True(rfc822.Peek);
        Assert.Equal("RFC822.HEADER", rfc822.ResponseName());

        Assert.Null(FetchItem.Parse("BODY[0]", out var e1));
        Assert.NotNull(e1);
        Assert.Null(FetchItem.Parse("BODY[MIME]", out _)); // MIME needs part numbers
        Assert.Null(FetchItem.Parse("BODY[]<5>", out _));
        Assert.Null(FetchItem.Parse("BINARY[1]", out _));
    }

    [Fact]
    public void Search_keys_with_NOT_OR_lists_header_and_sets()
    {
        var c = ImapFeed.One("41 UID SEARCH UNDELETED HEADER Message-ID <id@test> OR FROM bob (NOT SEEN 1:3) UID 5:* SINCE 1-Feb-2026\r\n");
        var key = SearchKey.Parse(c.Arguments, out var error);
        Assert.Null(error);
        Assert.Equal(SearchOp.And, key!.Op);
        var ops = key.Children!.Select(k => k.Op).ToList();
        Assert.Equal([SearchOp.NoFlag, SearchOp.Header, SearchOp.Or, SearchOp.Uid, SearchOp.Since], ops);
        Assert.Equal("Message-ID", key.Children![1].Field);
        Assert.Equal("<id@test>", key.Children[1].Text);
        var or = key.Children[2];
        Assert.Equal(SearchOp.Header, or.Children![0].Op);
        Assert.Equal(SearchOp.And, or.Children[1].Op);
        Assert.Equal([SearchOp.Not, SearchOp.Sequence], or.Children[1].Children!.Select(k => k.Op));
        Assert.Equal(new DateOnly(2026, 2, 1), key.Children[4].Date);
        Assert.True(key.NeedsContent);
        Assert.False(key.NeedsBody);
    }

    [Theory]
    [InlineData("OR SEEN")]
    [InlineData("HEADER Subject")]
    [InlineData("SINCE yesterday")]
    [InlineData("LARGER many")]
    [InlineData("FROBNICATE")]
    [InlineData("NOT")]
    public void Bad_search_keys(string keys)
    {
        var c = ImapFeed.One($"1 SEARCH {keys}\r\n");
        Assert.Null(SearchKey.Parse(c.Arguments, out var error));
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData("INBOX", "INBOX")]
    [InlineData("Entw&APw-rfe", "Entwürfe")]
    [InlineData("&ZeVnLIqe-", "日本語")]
    [InlineData("Tom &- Jerry", "Tom & Jerry")]
    [InlineData("~peter/mail/&U,BTFw-/&ZeVnLIqe-", "~peter/mail/台北/日本語")]
    public void Modified_utf7_round_trips(string wire, string name)
    {
        Assert.True(ModifiedUtf7.TryDecode(wire, out var decoded));
        Assert.Equal(name, decoded);
        Assert.Equal(wire, ModifiedUtf7.Encode(name));
    }

    [Theory]
    [InlineData("&Jjo")]      // unterminated
    [InlineData("&AGE-")]     // "a" encoded: printable ASCII must not be
    [InlineData("Entwürfe")]  // raw 8-bit
    [InlineData("&ZeVnLIq-")] // odd number of octets
    public void Invalid_modified_utf7(string wire) => Assert.False(ModifiedUtf7.TryDecode(wire, out _));

    [Fact]
    public void Writer_quotes_what_it_can_and_sends_the_rest_as_literals()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        new ImapWriter(buffer).String("say \"hi\"").Raw(" "u8).String("two\r\nlines").Raw(" "u8).String("Grüße").Raw(" "u8)
            .NString(null).Raw(" "u8).AString("INBOX").Raw(" "u8).AString("My Folder");
        Assert.Equal("\"say \\\"hi\\\"\" {10}\r\ntwo\r\nlines {7}\r\nGrüße NIL INBOX \"My Folder\"", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}

public sealed class ImapFramerLimitTests
{
    [Fact]
    public void A_line_longer_than_8192_octets_in_several_reads()
    {
        var results = ImapFeed.All("1 NOOP " + new string('x', 9000) + "\r\n2 NOOP\r\n");
        Assert.Equal(["LineTooLong 1", "command 2 NOOP"], results);
    }
}
