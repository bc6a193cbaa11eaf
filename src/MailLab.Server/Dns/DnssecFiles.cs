using MailLab.Protocols.Dns;

namespace MailLab.Server.Dns;

/// <summary>
/// The lab's DNSSEC files in <c>&lt;data&gt;/dnssec</c> as the CLI uses them: the break state that
/// <c>maillab dns break/repair</c> writes (the running lab re-signs within a second), the trust anchors
/// and the signed copies the lab writes after each signing.
/// </summary>
public static class DnssecFiles
{
    /// <summary>The break modes: <c>expired-rrsig</c> (the zone's signatures ended a day ago) and <c>bad-ds</c> (the parent's DS matches no key).</summary>
    public static IReadOnlyList<string> Modes { get; } = [ZoneSigning.ExpiredRrsig, ZoneSigning.BadDs];

    /// <summary>The lab's root zone <c>test</c>, whose KSK is the trust anchor.</summary>
    public const string Root = ZoneSigner.Root;

    /// <summary><c>&lt;data&gt;/dnssec</c>.</summary>
    public static string Directory(string dataDirectory) => Path.Combine(dataDirectory, "dnssec");

    /// <summary>Breaks (<paramref name="mode"/>) or repairs (null) a zone's signatures; false with the reason when it cannot.</summary>
    public static bool SetBroken(string dataDirectory, string zone, string? mode, out string? problem) =>
        ZoneSigner.SetBroken(Directory(dataDirectory), zone, mode, out problem);

    /// <summary>The zones broken now, with their modes.</summary>
    public static IReadOnlyDictionary<string, string> Broken(string dataDirectory) =>
        new ZoneSigner(Directory(dataDirectory), 13, [], "", null).Broken();

    /// <summary>The trust anchor files (BIND/delv, Unbound) when the lab has made them, else null.</summary>
    public static (string Bind, string Unbound)? TrustAnchors(string dataDirectory)
    {
        var s = new ZoneSigner(Directory(dataDirectory), 13, [], "", null);
        return File.Exists(s.BindAnchorFile) && File.Exists(s.DsAnchorFile) ? (s.BindAnchorFile, s.DsAnchorFile) : null;
    }

    /// <summary>The signed copy of <paramref name="zone"/> the running lab wrote, or null when there is none (unsigned, or never served).</summary>
    public static string? SignedZone(string dataDirectory, string zone)
    {
        string file = new ZoneSigner(Directory(dataDirectory), 13, [], "", null).SignedFile(DnsNames.Normalize(zone));
        return File.Exists(file) ? file : null;
    }
}
