using System.Text;
using MailLab.MailAuth.Dkim;

namespace MailLab.Tests.Dkim;

/// <summary>RFC 6376 §3.4 canonicalization, on the §3.4.6 example and edge cases.</summary>
public class DkimCanonicalizationTests
{
    // RFC 6376 §3.4.6, with <SP>, <HTAB> and <CRLF> written out.
    private const string Example =
        "A: X\r\n" +
        "B : Y\t\r\n" +
        "\tZ  \r\n" +
        "\r\n" +
        " C \r\n" +
        "D \t E\r\n" +
        "\r\n" +
        "\r\n";

    private static DkimMessage Parse(string s) => DkimMessage.Parse(Encoding.Latin1.GetBytes(s));

    private static string Body(string body, DkimCanonicalization c) => Encoding.Latin1.GetString(DkimCanonicalizer.Body(Encoding.Latin1.GetBytes(body), c));

    [Fact]
    public void Example_relaxed_headers()
    {
        var m = Parse(Example);
        Assert.Equal(["A", "B"], m.Headers.Select(h => h.Name));
        Assert.Equal("a:X\r\nb:Y Z\r\n", string.Concat(m.Headers.Select(h => DkimCanonicalizer.Header(h.Raw, DkimCanonicalization.Relaxed))));
    }

    [Fact]
    public void Example_simple_headers_are_unchanged()
    {
        var m = Parse(Example);
        Assert.Equal("A: X\r\nB : Y\t\r\n\tZ  \r\n", string.Concat(m.Headers.Select(h => DkimCanonicalizer.Header(h.Raw, DkimCanonicalization.Simple))));
    }

    [Fact]
    public void Example_relaxed_body()
    {
        var m = Parse(Example);
        Assert.Equal(" C\r\nD E\r\n", Encoding.Latin1.GetString(DkimCanonicalizer.Body(m.Body.Span, DkimCanonicalization.Relaxed)));
    }

    [Fact]
    public void Example_simple_body()
    {
        var m = Parse(Example);
        Assert.Equal(" C \r\nD \t E\r\n", Encoding.Latin1.GetString(DkimCanonicalizer.Body(m.Body.Span, DkimCanonicalization.Simple)));
    }

    [Theory]
    [InlineData("", "\r\n", "")]                                  // empty body: simple is one CRLF, relaxed is empty (errata 1384)
    [InlineData("\r\n\r\n\r\n", "\r\n", "")]                      // only empty lines
    [InlineData("abc", "abc\r\n", "abc\r\n")]                     // missing final CRLF is added
    [InlineData("abc  \t\r\n", "abc  \t\r\n", "abc\r\n")]         // trailing whitespace: kept by simple, dropped by relaxed
    [InlineData("a  b\r\n \t \r\n\r\n", "a  b\r\n \t \r\n", "a b\r\n")] // a whitespace-only last line is empty for relaxed only
    [InlineData("x\r\n\r\ny\r\n", "x\r\n\r\ny\r\n", "x\r\n\r\ny\r\n")] // inner empty lines stay
    [InlineData("a\rb\r\n", "a\rb\r\n", "a\rb\r\n")]              // a lone CR is not a line end
    public void Body_edge_cases(string body, string simple, string relaxed)
    {
        Assert.Equal(simple, Body(body, DkimCanonicalization.Simple));
        Assert.Equal(relaxed, Body(body, DkimCanonicalization.Relaxed));
    }

    [Theory]
    [InlineData("Subject:hello\r\n", "subject:hello")]
    [InlineData("SUBJECT  :   hello   world  \r\n", "subject:hello world")]
    [InlineData("Subject: a\r\n\t b\r\n  c\r\n", "subject:a b c")]
    [InlineData("Subject:\r\n", "subject:")]
    [InlineData("Subject: caf\u00c3\u00a9\r\n", "subject:caf\u00c3\u00a9")] // UTF-8 octets pass unchanged
    public void Relaxed_header_edge_cases(string raw, string expected) =>
        Assert.Equal(expected, DkimCanonicalizer.RelaxedHeader(raw));

    [Fact]
    public void A_message_without_body_has_an_empty_body()
    {
        var m = Parse("From: a@b\r\nTo: c@d\r\n");
        Assert.Equal(2, m.Headers.Count);
        Assert.True(m.Body.IsEmpty);
        Assert.Equal("\r\n", Encoding.Latin1.GetString(DkimCanonicalizer.Body(m.Body.Span, DkimCanonicalization.Simple)));
    }

    [Fact]
    public void The_b_value_is_removed_and_everything_else_kept_byte_for_byte()
    {
        const string raw = "DKIM-Signature: v=1; a=rsa-sha256; bh=AAAA;\r\n\tb=abc\r\n\t def; d=x.test\r\n";
        Assert.Equal("DKIM-Signature: v=1; a=rsa-sha256; bh=AAAA;\r\n\tb=; d=x.test\r\n", DkimVerifier.WithoutSignatureValue(raw));
        Assert.Equal("DKIM-Signature: b=\r\n", DkimVerifier.WithoutSignatureValue("DKIM-Signature: b=xyz\r\n"));
    }

    [Theory]
    [InlineData("v=1; a=rsa-sha256;", "v,a")]
    [InlineData(" v = 1 ;\r\n\ta=x", "v,a")]
    public void Tag_lists_parse(string text, string names) =>
        Assert.Equal(names.Split(','), DkimTags.Parse(text, out _)!.Order);

    [Theory]
    [InlineData("v=1; v=1", "tag 'v' appears twice")]
    [InlineData("v=1;; a=b", "empty tag (two semicolons in a row)")]
    [InlineData("v=1; novalue", "tag 'novalue' has no '='")]
    [InlineData("1v=1", "'1v' is not a valid tag name")]
    public void Malformed_tag_lists_say_why(string text, string error)
    {
        Assert.Null(DkimTags.Parse(text, out var e));
        Assert.Equal(error, e);
    }
}
