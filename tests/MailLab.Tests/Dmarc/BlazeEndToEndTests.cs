using System.Text;
using MailLab.MailAuth.Dmarc;
using MailLab.MailAuth.Spf;
using MailLab.Tests.Spf;

namespace MailLab.Tests.Dmarc;

/// <summary>
/// Real messages with frozen DNS (data/blaze, see SOURCES.md): From extraction on real headers, the
/// tree walk over the real _dmarc records, and the verdicts blaze and Google recorded. SPF and DKIM
/// results are the recorded ones (expected.yml), given to DMARC as values.
/// </summary>
public sealed class BlazeEndToEndTests
{
    private static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "Dmarc", "data", "blaze");

    private static FakeSpfResolver FrozenDns()
    {
        var dns = new FakeSpfResolver();
        foreach (var file in Directory.GetFiles(Path.Combine(Dir, "cache"), "*.dns"))
        {
            foreach (var line in File.ReadAllLines(file).Where(l => l.StartsWith("txt:")))
            {
                dns.Record(Path.GetFileNameWithoutExtension(file), line[4..]);
            }
        }
        return dns;
    }

    // The message files have LF line ends; on the wire (and to the extractor) they are CRLF.
    private static byte[] Mail(string name) => Encoding.UTF8.GetBytes(File.ReadAllText(Path.Combine(Dir, name)).Replace("\r\n", "\n").Replace("\n", "\r\n"));

    [Theory]
    // mail, From domain, SPF identity and result (recorded), DKIM d= passes, DMARC expected, policy, SPF aligned, DKIM aligned
    [InlineData("001.mail", "github.com", "sgmail.github.com", SpfResultCode.Pass, "", DmarcResultCode.Pass, "reject", true, false)] // rsa-sha1 signatures fail under RFC 8301
    [InlineData("002.mail", "github.com", "github.com", SpfResultCode.Pass, "github.com", DmarcResultCode.Pass, "reject", true, true)]
    [InlineData("003.mail", "janestreet.com", "janestreet.com", SpfResultCode.Fail, "janestreet.com", DmarcResultCode.Pass, "quarantine", false, true)]
    [InlineData("004.mail", "discoursemail.com", "discoursemail.com", SpfResultCode.Pass, "discoursemail.com", DmarcResultCode.Pass, "quarantine", true, true)]
    [InlineData("007.mail", "football.example.com", null, SpfResultCode.None, "football.example.com", DmarcResultCode.None, null, false, false)]
    public async Task Recorded_verdicts(string mail, string fromDomain, string? spfDomain, SpfResultCode spf, string dkimPasses,
        DmarcResultCode expected, string? policy, bool spfAligned, bool dkimAligned)
    {
        var author = FromExtractor.Extract(Mail(mail));
        Assert.Null(author.Problem);
        Assert.Equal(fromDomain, author.Domain);
        var dkim = dkimPasses.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(d => new DmarcDkimInput(d, DkimOutcome.Pass, null)).ToList();
        var r = await new DmarcEvaluator(new SpfBackedDmarcResolver(FrozenDns())).EvaluateAsync(author,
            spfDomain is null ? null : new DmarcSpfInput(spfDomain, spf, "mailfrom"), dkim);
        Assert.Equal(expected, r.Result);
        Assert.Equal(policy, r.Policy?.Keyword());
        Assert.Equal((spfAligned, dkimAligned), (r.SpfAligned, r.DkimAligned));
    }

    [Fact]
    public void A_from_line_in_the_body_is_not_a_second_from_field()
    {
        // 005.mail quotes a "From:" line in its body; only the header section counts.
        var author = FromExtractor.Extract(Mail("005.mail"));
        Assert.Equal("gmail.com", author.Domain);
    }
}
