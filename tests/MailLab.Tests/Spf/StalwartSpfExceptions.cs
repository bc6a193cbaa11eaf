namespace MailLab.Tests.Spf;

/// <summary>Stalwart suite checks whose expectation MailLab deliberately does not follow, each with its reason.</summary>
public static class StalwartSpfExceptions
{
    /// <summary>Case id ("file/group/index") to the result MailLab gives instead, and why.</summary>
    public static readonly IReadOnlyDictionary<string, (string Result, string Reason)> Results =
        new Dictionary<string, (string, string)>
        {
            ["basic.yml/DNS Lookup Limits/1"] = ("permerror",
                "t1.org..t10.org have no records in the suite, so each 'a:' is a void lookup and RFC 7208 §4.6.4's void-lookup limit (2) gives permerror; Stalwart's driver sent these names to the real DNS and has no void limit"),
            ["basic.yml/DNS Lookup Limits/6"] = ("permerror",
                "mx.test.org has 11 MX names; MailLab applies RFC 7208 §4.6.4's limit of 10 to the MX answer as a whole, so the result does not depend on RRset order (RFC 2181 §5: RRsets are unordered); Stalwart stops early when the 8th name matches"),
            ["all.yml/All test/1"] = ("permerror",
                "'ip:10.0.0.1' is not a mechanism of RFC 7208 §5 (nor a modifier, no '='); §4.6: a syntax error anywhere in the record is permerror, even after 'all'"),
            ["exists.yml/Exists/2"] = ("fail",
                "ip6.test.org has only AAAA records; RFC 7208 §5.7: exists does an A lookup even when the connection is IPv6, so it does not match; Stalwart also accepts AAAA"),
            ["macro.yml/Macro expansion 2/2"] = ("fail",
                "the exists target ...ip6._spf.example.com has only an AAAA record; RFC 7208 §5.7: exists does an A lookup even for IPv6 clients, so no match and -all gives fail; Stalwart also accepts AAAA"),
            ["ip.yml/IPv6 match/4"] = ("fail",
                "the client 10.1.2.3 is IPv4; RFC 7208 §5.6 compares ip6 networks with IPv6 clients only (and §5 treats an IPv4-mapped client as IPv4), so ip6:::ffff:10.1.2.3 does not match; Stalwart maps the IPv4 client into IPv6"),
        };
}
