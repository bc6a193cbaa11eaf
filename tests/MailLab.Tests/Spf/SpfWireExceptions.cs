using MailLab.Protocols.Dns;

namespace MailLab.Tests.Spf;

/// <summary>Why a suite case cannot run over the lab DNS as the suite means it.</summary>
public enum SpfWireGap
{
    /// <summary>The zonedata has TIMEOUT; the lab DNS always answers, so the temperror cannot happen.</summary>
    Timeout,

    /// <summary>The zonedata owns or points at a name a zone file cannot hold (':', '/', '%', spaces).</summary>
    NameNotInZoneFile,
}

/// <summary>RFC 7208 suite cases left out of the over-the-wire run, each with its gap and reason.</summary>
public static class SpfWireExceptions
{
    private const string Timeout = "needs a DNS timeout (zonedata TIMEOUT) to give temperror; the lab DNS always answers, here with NXDOMAIN/NODATA";
    private const string Colon = "the record points at foo:bar/baz.example.com, which a zone file cannot own (ZoneFileParser: letters, digits, '-', '_'), so its A/MX cannot be served";

    /// <summary>Case name in rfc7208-tests.yml, the gap, and the reason.</summary>
    public static readonly IReadOnlyDictionary<string, (SpfWireGap Gap, string Reason)> Cases = new Dictionary<string, (SpfWireGap, string)>
    {
        ["txttimeout"] = (SpfWireGap.Timeout, Timeout),
        ["nospftxttimeout"] = (SpfWireGap.Timeout, Timeout),
        ["alltimeout"] = (SpfWireGap.Timeout, Timeout),
        ["include-temperror"] = (SpfWireGap.Timeout, Timeout + " (ip8.example.com)"),
        ["exists-dnserr"] = (SpfWireGap.Timeout, Timeout + " (err.example.com)"),
        ["a-colon-domain"] = (SpfWireGap.NameNotInZoneFile, Colon),
        ["a-colon-domain-ip4mapped"] = (SpfWireGap.NameNotInZoneFile, Colon),
        ["mx-colon-domain"] = (SpfWireGap.NameNotInZoneFile, Colon),
        ["mx-colon-domain-ip4mapped"] = (SpfWireGap.NameNotInZoneFile, Colon),
        ["macro-mania-in-domain"] = (SpfWireGap.NameNotInZoneFile,
            "the A record is owned by 'macro%percent  space%20url-space.example.com' (with '%' and spaces), which a zone file cannot own"),
    };
}
