using MailLab.MailAuth.Dmarc;
using YamlDotNet.RepresentationModel;

namespace MailLab.Tests.Dmarc;

/// <summary>DMARC record parsing: the OpenDMARC and Stalwart parse tables (data/SOURCES.md) and the error wording.</summary>
public sealed class DmarcRecordTests
{
    internal static YamlNode Load(string file)
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(AppContext.BaseDirectory, "Dmarc", "data", file));
        yaml.Load(reader);
        return yaml.Documents[0].RootNode;
    }

    internal static string S(YamlNode n, string key) =>
        ((YamlMappingNode)n).Children.TryGetValue(new YamlScalarNode(key), out var v) ? ((YamlScalarNode)v).Value ?? "" : "";

    // Our deliberate differences from OpenDMARC's lenient acceptances (all allowed: "a stricter parser may reject them").
    private static readonly Dictionary<string, string> Stricter = new()
    {
        ["5"] = "p=n is not none, quarantine or reject (RFC 7489 §6.3); OpenDMARC accepts the abbreviation",
    };

    public static TheoryData<string> OpenDmarcCases()
    {
        var data = new TheoryData<string>();
        foreach (var item in ((YamlSequenceNode)Load("opendmarc-record-parse.yml")).Children) data.Add(S(item, "n"));
        return data;
    }

    [Theory]
    [MemberData(nameof(OpenDmarcCases))]
    public void OpenDmarc_parse_table(string n)
    {
        var item = ((YamlSequenceNode)Load("opendmarc-record-parse.yml")).Children.First(c => S(c, "n") == n);
        var record = S(item, "record");
        var expect = S(item, "expect");
        var parsed = DmarcRecord.Parse(record, out var error);
        if (expect == "OKAY" && !Stricter.ContainsKey(n))
        {
            Assert.True(parsed is not null, $"{record}: {error}");
            return;
        }
        Assert.Null(parsed);
        Assert.NotNull(error);
        switch (expect)
        {
            case "ERROR_EMPTY": Assert.Equal("empty record", error); break;
            case "ERROR_BAD_VERSION": Assert.Contains("v=DMARC1", error); break;
            case "ERROR_NO_REQUIRED_P": Assert.Contains("p= is missing", error); break;
            case "ERROR_BAD_VALUE":
                var bad = record.Split(';').Select(t => t.Trim()).Last(t => t.Contains('=') && !t.StartsWith("v=") && !t.StartsWith("p=none"));
                Assert.StartsWith(bad, error);
                break;
            default: Assert.Contains("RFC 7489 §6.3", error); break; // our stricter cases name the rule
        }
    }

    [Fact]
    public void Stalwart_parse_table_fields()
    {
        var cases = ((YamlSequenceNode)((YamlMappingNode)Load("stalwart-mail-auth-dmarc.yml")).Children[new YamlScalarNode("parse")]).Children;
        Assert.Equal(6, cases.Count);
        foreach (var c in cases)
        {
            var text = S(c, "record");
            var r = DmarcRecord.Parse(text, out var error);
            Assert.True(r is not null, $"{text}: {error}");
            var e = (YamlMappingNode)((YamlMappingNode)c).Children[new YamlScalarNode("expect")];
            Assert.Equal(S(e, "p"), r!.EffectiveP.Keyword());
            Assert.Equal(S(e, "sp"), r.EffectiveSp.Keyword());
            Assert.Equal(S(e, "np"), r.EffectiveNp.Keyword());
            Assert.Equal(S(e, "adkim"), r.Adkim == AlignmentMode.Strict ? "s" : "r");
            Assert.Equal(S(e, "aspf"), r.Aspf == AlignmentMode.Strict ? "s" : "r");
            Assert.Equal(S(e, "fo").Split(' ')[0], string.Join(':', r.Fo));
            Assert.Equal(S(e, "t") == "true", r.Testing);
            Assert.Equal(S(e, "psd") == "y" ? 'y' : 'u', r.Psd);
            var rua = ((YamlSequenceNode)e.Children[new YamlScalarNode("rua")]).Children
                .Select(u => (S(u, "addr"), long.Parse(S(u, "max_size_bytes")))).ToList();
            Assert.Equal(rua, r.Rua.Select(u => (u.Address, u.MaxSizeBytes)).ToList());
            Assert.Equal(((YamlSequenceNode)e.Children[new YamlScalarNode("ruf")]).Children.Count, r.Ruf.Count);
        }
    }

    [Theory]
    [InlineData("v=DMARC1; p=reject; p=none", "tag p= appears twice")]
    [InlineData("v=DMARC1 p=reject", "must begin with v=DMARC1")]
    [InlineData("p=reject; v=DMARC1", "must begin with v=DMARC1")]
    [InlineData("v=dmarc1; p=reject", "must begin with v=DMARC1")]
    [InlineData("v=DMARC1; p=reject; np=drop", "np=drop: policy must be none, quarantine or reject")]
    [InlineData("v=DMARC1; p=reject; psd=maybe", "psd=maybe: must be one of y, n, u")]
    [InlineData("v=DMARC1; p=reject; t=1", "t=1: must be one of y, n")]
    [InlineData("v=DMARC1; p=reject; fo=2", "fo=2: fo must be a colon-separated list")]
    [InlineData("v=DMARC1; p=reject; rua=mailto:a@b.test!10x", "is not a size")]
    [InlineData("v=DMARC1; p=reject; bogus", "'bogus' is not a tag=value pair")]
    public void Errors_name_the_tag_and_the_rule(string record, string expected)
    {
        Assert.Null(DmarcRecord.Parse(record, out var error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Rfc9989_tags_and_defaults()
    {
        var r = DmarcRecord.Parse("v=DMARC1;p=reject;sp=quarantine;np=none;psd=n;t=y", out _)!;
        Assert.Equal((DmarcPolicy.Reject, DmarcPolicy.Quarantine, DmarcPolicy.None, 'n', true), (r.EffectiveP, r.EffectiveSp, r.EffectiveNp, r.Psd, r.Testing));
        var d = DmarcRecord.Parse("v=DMARC1; p=quarantine", out _)!;
        Assert.Equal((DmarcPolicy.Quarantine, DmarcPolicy.Quarantine, 100, 86400L, AlignmentMode.Relaxed), (d.EffectiveNp, d.EffectiveSp, d.Pct, d.Ri, d.Aspf));
    }
}
