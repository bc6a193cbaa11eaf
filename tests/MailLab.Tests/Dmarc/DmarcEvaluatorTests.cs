using MailLab.MailAuth.Dmarc;
using MailLab.MailAuth.Spf;
using MailLab.Tests.Spf;
using YamlDotNet.RepresentationModel;
using static MailLab.Tests.Dmarc.DmarcRecordTests;

namespace MailLab.Tests.Dmarc;

/// <summary>Policy discovery, organisational domains (tree walk and PSL), alignment and policy selection.</summary>
public sealed class DmarcEvaluatorTests
{
    internal static AuthorDomain From(string address) => FromExtractor.Extract(System.Text.Encoding.ASCII.GetBytes($"From: {address}\r\n\r\n"));

    private static Task<DmarcResult> Eval(FakeSpfResolver dns, string from, (string Domain, SpfResultCode Result)? spf = null,
        DmarcDkimInput[]? dkim = null, DmarcMode mode = DmarcMode.Rfc9989, Func<int>? roll = null, PublicSuffixList? psl = null) =>
        new DmarcEvaluator(new SpfBackedDmarcResolver(dns), mode, psl, roll).EvaluateAsync(From(from),
            spf is { } s ? new DmarcSpfInput(s.Domain, s.Result, "mailfrom") : null, dkim ?? []);

    public static TheoryData<string> StalwartCases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases()) if (!S(c, "name").Contains("report destination")) data.Add(S(c, "name"));
        return data;
    }

    private static IEnumerable<YamlNode> Cases() =>
        ((YamlSequenceNode)((YamlMappingNode)Load("stalwart-mail-auth-dmarc.yml")).Children[new YamlScalarNode("evaluate")]).Children;

    [Theory]
    [MemberData(nameof(StalwartCases))]
    public async Task Stalwart_evaluation_table(string name)
    {
        var c = (YamlMappingNode)Cases().First(x => S(x, "name") == name);
        var dns = new FakeSpfResolver();
        foreach (var (k, v) in ((YamlMappingNode)c.Children[new YamlScalarNode("dns")]).Children)
        {
            var key = ((YamlScalarNode)k).Value!;
            if (key.EndsWith(" A")) dns.Address(key[..^2], ((YamlScalarNode)v).Value!);
            else dns.Record(key, ((YamlScalarNode)v).Value!);
        }
        var input = (YamlMappingNode)c.Children[new YamlScalarNode("input")];
        (string, SpfResultCode)? spf = input.Children.TryGetValue(new YamlScalarNode("spf"), out var s)
            ? (S(s, "mail_from_domain"), S(s, "result") == "pass" ? SpfResultCode.Pass : SpfResultCode.Fail) : null;
        var dkim = input.Children.TryGetValue(new YamlScalarNode("dkim"), out var d)
            ? ((YamlSequenceNode)d).Children.Select(x => new DmarcDkimInput(S(x, "d"), S(x, "result") == "pass" ? DkimOutcome.Pass : DkimOutcome.Fail, null)).ToArray()
            : [];
        var r = await Eval(dns, S(input, "header_from"), spf, dkim);
        var expect = (YamlMappingNode)c.Children[new YamlScalarNode("expect")];
        foreach (var (k, v) in expect.Children)
        {
            var want = ((YamlScalarNode)v).Value;
            switch (((YamlScalarNode)k).Value)
            {
                case "policy": Assert.Equal(want, r.Policy?.Keyword()); break;
                case "dmarc_record": Assert.Null(r.Record); Assert.Equal(DmarcResultCode.None, r.Result); break;
                case "spf_aligned": AssertAligned(r, "spf", want!); break;
                case "dkim_aligned": AssertAligned(r, "dkim", want!); break;
            }
        }
    }

    private static void AssertAligned(DmarcResult r, string mechanism, string want)
    {
        var check = Assert.Single(r.Alignments, a => a.Mechanism == mechanism);
        Assert.Equal(want == "pass", check.Aligned);
        if (want == "none") Assert.NotEqual("pass", check.MechanismResult); // did not pass: nothing to align
        else Assert.Equal("pass", check.MechanismResult);
    }

    [Theory]
    // from, identifier, mode, aligned: RFC 7489 §3.1.1/§3.1.2 with the lab domains
    [InlineData("bank.test", "bank.test", AlignmentMode.Strict, true)]
    [InlineData("bank.test", "mail.bank.test", AlignmentMode.Strict, false)]
    [InlineData("bank.test", "mail.bank.test", AlignmentMode.Relaxed, true)]
    [InlineData("news.bank.test", "mail.bank.test", AlignmentMode.Relaxed, true)]
    [InlineData("bank.test", "evil.test", AlignmentMode.Relaxed, false)]
    [InlineData("bank.test", "bank.test.evil.test", AlignmentMode.Relaxed, false)]
    [InlineData("bank.test", "BANK.TEST.", AlignmentMode.Strict, true)]
    public async Task Alignment_table_for_spf_and_dkim(string from, string id, AlignmentMode mode, bool aligned)
    {
        var dns = new FakeSpfResolver().Record("_dmarc.bank.test", $"v=DMARC1; p=reject; aspf={(mode == AlignmentMode.Strict ? "s" : "r")}; adkim={(mode == AlignmentMode.Strict ? "s" : "r")}")
            .Record("_dmarc.evil.test", "v=DMARC1; p=none");
        dns.Address(from, "127.0.2.1");
        foreach (var m in new[] { DmarcMode.Rfc9989, DmarcMode.Rfc7489 })
        {
            var r = await Eval(dns, "ceo@" + from, (id, SpfResultCode.Pass), [new DmarcDkimInput(id, DkimOutcome.Pass, "lab")], m);
            Assert.Equal(aligned, r.SpfAligned);
            Assert.Equal(aligned, r.DkimAligned);
            Assert.Equal(aligned ? DmarcResultCode.Pass : DmarcResultCode.Fail, r.Result);
            Assert.Equal(aligned ? DmarcPolicy.None : DmarcPolicy.Reject, r.Disposition);
            Assert.All(r.Alignments, a => Assert.Equal(mode, a.Mode));
        }
    }

    [Fact]
    public async Task A_failed_mechanism_never_aligns_even_for_the_same_domain()
    {
        var dns = new FakeSpfResolver().Record("_dmarc.bank.test", "v=DMARC1; p=quarantine");
        var r = await Eval(dns, "ceo@bank.test", ("bank.test", SpfResultCode.SoftFail), [new DmarcDkimInput("bank.test", DkimOutcome.Fail, "lab")]);
        Assert.Equal(DmarcResultCode.Fail, r.Result);
        Assert.Equal(DmarcPolicy.Quarantine, r.Disposition);
        Assert.All(r.Alignments, a => Assert.Contains("did not pass", a.Why));
    }

    [Fact]
    public async Task Org_domain_by_tree_walk_uses_the_dns_not_a_list()
    {
        // "co.test" would be a suffix for nobody's list; the DNS says psd=y, so bank.co.test is the organisation.
        var dns = new FakeSpfResolver().Record("_dmarc.co.test", "v=DMARC1; p=reject; psd=y").Record("_dmarc.bank.co.test", "v=DMARC1; p=none");
        dns.Address("bank.co.test", "127.0.2.1");
        var r = await Eval(dns, "ceo@bank.co.test", ("evil.co.test", SpfResultCode.Pass));
        Assert.False(r.SpfAligned);
        Assert.Equal("bank.co.test", r.OrgDomain);
        Assert.Contains(r.Steps, s => s.Step == "org-domain" && s.Text.Contains("evil.co.test -> evil.co.test (psd=y at co.test"));

        // The same names by the Public Suffix List (RFC 7489): "test" is the suffix, co.test the organisation, so they align.
        var psl = await Eval(dns, "ceo@bank.co.test", ("evil.co.test", SpfResultCode.Pass), mode: DmarcMode.Rfc7489);
        Assert.True(psl.SpfAligned);
        Assert.Equal("co.test", psl.OrgDomain);
        // ... unless the lab adds co.test to the list.
        var lab = await Eval(dns, "ceo@bank.co.test", ("evil.co.test", SpfResultCode.Pass), mode: DmarcMode.Rfc7489,
            psl: PublicSuffixList.Load(["co.test"]));
        Assert.False(lab.SpfAligned);
        Assert.Equal("bank.co.test", lab.OrgDomain);
    }

    [Theory]
    [InlineData("www.example.co.uk", "example.co.uk")]
    [InlineData("example.co.uk", "example.co.uk")]
    [InlineData("co.uk", "co.uk")]
    [InlineData("a.b.bank.test", "bank.test")]
    [InlineData("foo.city.kawasaki.jp", "city.kawasaki.jp")] // exception rule !city.kawasaki.jp
    [InlineData("a.b.kawasaki.jp", "a.b.kawasaki.jp")]     // wildcard *.kawasaki.jp
    public void Public_suffix_list_org_domains(string domain, string org)
    {
        Assert.Equal(org, PublicSuffixList.Load().OrganizationalDomain(domain));
        Assert.True(PublicSuffixList.Load().Count > 5000);
    }

    [Fact]
    public async Task Policy_selection_p_sp_np()
    {
        var dns = new FakeSpfResolver().Record("_dmarc.bank.test", "v=DMARC1; p=reject; sp=quarantine; np=none");
        dns.Address("bank.test", "127.0.2.1").Address("branch.bank.test", "127.0.2.1");
        var own = await Eval(dns, "ceo@bank.test");
        Assert.Equal((DmarcPolicy.Reject, "p", "bank.test"), (own.Policy!.Value, own.PolicyTag, own.PolicyDomain));
        var sub = await Eval(dns, "ceo@branch.bank.test");
        Assert.Equal((DmarcPolicy.Quarantine, "sp"), (sub.Policy!.Value, sub.PolicyTag));
        var ghost = await Eval(dns, "ceo@ghost.bank.test");
        Assert.Equal((DmarcPolicy.None, "np"), (ghost.Policy!.Value, ghost.PolicyTag));
        Assert.Contains(ghost.Steps, s => s.Text.Contains("does not exist"));
        // RFC 7489 has no np=: the non-existent subdomain gets sp.
        var old = await Eval(dns, "ceo@ghost.bank.test", mode: DmarcMode.Rfc7489);
        Assert.Equal((DmarcPolicy.Quarantine, "sp"), (old.Policy!.Value, old.PolicyTag));
        // No sp and no np: p applies to subdomains.
        var plain = new FakeSpfResolver().Record("_dmarc.bank.test", "v=DMARC1; p=reject");
        Assert.Equal(DmarcPolicy.Reject, (await Eval(plain, "x@ghost.bank.test")).Policy);
    }

    [Fact]
    public async Task Pct_in_rfc7489_and_t_in_rfc9989_soften_the_policy()
    {
        var dns = new FakeSpfResolver().Record("_dmarc.bank.test", "v=DMARC1; p=reject; pct=30; t=y");
        var sampledIn = await Eval(dns, "ceo@bank.test", mode: DmarcMode.Rfc7489, roll: () => 29);
        Assert.Equal(DmarcPolicy.Reject, sampledIn.Disposition);
        var sampledOut = await Eval(dns, "ceo@bank.test", mode: DmarcMode.Rfc7489, roll: () => 30);
        Assert.Equal(DmarcPolicy.Quarantine, sampledOut.Disposition);
        Assert.Contains("pct=30 sampled this message out", sampledOut.Reason);
        var testing = await Eval(dns, "ceo@bank.test", roll: () => 0); // RFC 9989 ignores pct, honours t=y
        Assert.Equal(DmarcPolicy.Quarantine, testing.Disposition);
        Assert.Contains("t=y", testing.Reason);
        // RFC 9989 mode says so in the explanation; RFC 7489 mode applies the tag and says nothing of the kind.
        Assert.Contains(testing.Steps, s => s.Step == "pct" && s.Text.StartsWith("pct=30 is ignored: RFC 9989 removed the tag"));
        Assert.DoesNotContain(sampledOut.Steps, s => s.Step == "pct");
        var without = await Eval(new FakeSpfResolver().Record("_dmarc.bank.test", "v=DMARC1; p=reject"), "ceo@bank.test");
        Assert.DoesNotContain(without.Steps, s => s.Step == "pct");
    }

    [Fact]
    public async Task Rfc7489_asks_the_author_domain_then_the_psl_org_domain_only()
    {
        var dns = new FakeSpfResolver().Record("_dmarc.bank.test", "v=DMARC1; p=reject");
        var r = await Eval(dns, "x@a.b.c.bank.test", mode: DmarcMode.Rfc7489);
        Assert.Equal(["TXT _dmarc.a.b.c.bank.test", "TXT _dmarc.bank.test"], dns.Queries);
        Assert.Equal("bank.test", r.PolicyDomain);
        dns.Queries.Clear();
        await Eval(dns, "x@a.b.c.bank.test");
        Assert.Equal(["TXT _dmarc.a.b.c.bank.test", "TXT _dmarc.b.c.bank.test", "TXT _dmarc.c.bank.test", "TXT _dmarc.bank.test"], dns.Queries.Take(4));
    }

    [Fact]
    public async Task Invalid_and_duplicate_records_are_ignored_and_dns_errors_are_temperror()
    {
        var dns = new FakeSpfResolver().Record("_dmarc.bank.test", "v=DMARC1; p=bogus").Record("_dmarc.evil.test", "v=DMARC1; p=none").Record("_dmarc.evil.test", "v=DMARC1; p=reject");
        var bad = await Eval(dns, "x@bank.test");
        Assert.Equal(DmarcResultCode.None, bad.Result);
        Assert.Contains(bad.Steps, s => s.Text.StartsWith("invalid record ignored: p=bogus"));
        var two = await Eval(dns, "x@evil.test");
        Assert.Equal(DmarcResultCode.None, two.Result);
        Assert.Contains(two.Steps, s => s.Text.StartsWith("2 DMARC records"));
        dns.Failing.Add("_dmarc.uc.test");
        var temp = await Eval(dns, "x@uc.test");
        Assert.Equal(DmarcResultCode.TempError, temp.Result);
        Assert.Equal(DmarcPolicy.None, temp.Disposition);
    }

    [Fact]
    public async Task Explanation_lists_query_answer_org_domains_alignments_and_policy()
    {
        var dns = new FakeSpfResolver().Record("_dmarc.bank.test", "v=DMARC1; p=reject");
        var r = await Eval(dns, "The CEO <ceo@bank.test>", ("evil.test", SpfResultCode.Pass));
        Assert.Equal(["from", "query", "org-domain", "alignment", "policy", "disposition"], r.Steps.Select(s => s.Step).Distinct());
        Assert.Equal(("_dmarc.bank.test TXT", "v=DMARC1; p=reject"), (r.Steps[1].Query, r.Steps[1].Answer));
        Assert.Contains(r.Steps, s => s.Query == "_dmarc.test TXT" && s.Text == "no DMARC record"); // the walk goes on to the top
        Assert.Equal(2, r.Steps.Count(s => s.Step == "org-domain"));
        Assert.Equal("spf evil.test (pass): relaxed: organisational domain evil.test is not bank.test", Assert.Single(r.Steps, s => s.Step == "alignment").Text);
        Assert.Equal("p=reject: the record is the author domain's own", Assert.Single(r.Steps, s => s.Step == "policy").Text);
        Assert.StartsWith("DMARC fail (no aligned SPF or DKIM pass for bank.test): reject applies", r.Reason);
    }
}
