namespace MailLab.Tests.Spf;

/// <summary>Suite cases whose expected result MailLab deliberately does not follow, each with its reason.</summary>
public static class SpfSuiteExceptions
{
    private const string Pyspf = "pyspf-test.yml";
    private const string Rfc7208 = "rfc7208-tests.yml";

    /// <summary>Cases whose expected result differs: the results MailLab gives instead, and why.</summary>
    public static readonly IReadOnlyDictionary<(string File, string Name), (string[] Accepted, string Reason)> Results =
        new Dictionary<(string, string), (string[], string)>
        {
            [(Pyspf, "default-modifier")] = (["neutral"],
                "pyspf's non-standard 'default=' modifier (lax mode); RFC 7208 §6 says unknown modifiers MUST be ignored, so no mechanism matches: neutral"),
            [(Pyspf, "default-modifier-harsh")] = (["neutral"],
                "'ambiguous' is a pyspf-only result, not one of the seven of RFC 7208 §2.6; the record is 'v=spf1 default=-', unknown modifier ignored: neutral"),
        };

    /// <summary>Cases whose expected explanation differs: the text MailLab gives instead, and why.</summary>
    public static readonly IReadOnlyDictionary<(string File, string Name), (string Explanation, string Reason)> Explanations =
        new Dictionary<(string, string), (string, string)>
        {
            [(Rfc7208, "v-macro-ip6")] = (
                "cafe:babe::1 is queried as 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.e.b.a.b.e.f.a.c.ip6.arpa",
                "the suite expects upper-case hex nibbles from %{ir}; RFC 7208 §7.4's own IPv6 example expands %{ir} with lower-case nibbles, and DNS names are case-insensitive, so MailLab follows the RFC example"),
        };

    /// <summary>The results MailLab accepts instead of the suite's, or null when the suite's expectation stands.</summary>
    public static IReadOnlyList<string>? Accepted(string file, string name) =>
        Results.TryGetValue((file, name), out var e) ? e.Accepted : null;

    /// <summary>The explanation MailLab gives instead of the suite's, or null when the suite's expectation stands.</summary>
    public static string? Explanation(string file, string name) =>
        Explanations.TryGetValue((file, name), out var e) ? e.Explanation : null;
}
