using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MailLab.MailAuth.Dkim;

namespace MailLab.Tests.Dkim;

/// <summary>The signed messages of Dkim/data (see data/SOURCES.md), each with its key records and expected results.</summary>
public static partial class DkimSuite
{
    public static string DataDir => Path.Combine(AppContext.BaseDirectory, "Dkim", "data");

    /// <summary>
    /// The suite's clock: Stalwart's driver verifies at 1667843664 (2022-11-07); no signature in the
    /// data has an x= before it, and the same moment is used for all.
    /// </summary>
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1667843664);

    /// <summary>One message: file, its DNS, and the expected result per signature (topmost first).</summary>
    public sealed record Case(string File, Func<MemoryDkimResolver> Dns, string[] Expected, string Why)
    {
        public override string ToString() => File;
    }

    public static byte[] Message(string relative)
    {
        var raw = System.IO.File.ReadAllBytes(Path.Combine(DataDir, relative));
        if (relative.StartsWith("stalwart-mail-auth", StringComparison.Ordinal))
        {
            // Stalwart files: DNS lines, an empty line, then the message.
            int split = IndexOf(raw, "\n\n"u8) + 2;
            raw = raw[split..];
        }
        return DkimMessage.ToCrlf(raw);
    }

    private static int IndexOf(byte[] data, ReadOnlySpan<byte> what) => data.AsSpan().IndexOf(what);

    public static MemoryDkimResolver StalwartDns(string relative)
    {
        var dns = new MemoryDkimResolver();
        foreach (var line in System.IO.File.ReadAllText(Path.Combine(DataDir, relative)).Split('\n'))
        {
            if (line.Length == 0) break;
            int sp = line.IndexOf(' ');
            dns.Record(line[..sp], line[(sp + 1)..]);
        }
        return dns;
    }

    /// <summary>TXT records of zone-file lines: owner, then every quoted string up to the record's end.</summary>
    public static MemoryDkimResolver ZoneDns(string relative)
    {
        var dns = new MemoryDkimResolver();
        var text = Regex.Replace(System.IO.File.ReadAllText(Path.Combine(DataDir, relative)), "(?m)^;[^\n]*", ""); // whole-line comments only: ";" also separates tags
        foreach (Match m in ZoneTxt().Matches(text))
        {
            dns.Record(m.Groups[1].Value, string.Concat(Regex.Matches(m.Groups[2].Value, "\"([^\"]*)\"").Select(q => q.Groups[1].Value)));
        }
        return dns;
    }

    [GeneratedRegex(@"^(\S+)\s+\d+\s+IN\s+TXT\s+(\([^)]*\)|[^\n]*)", RegexOptions.Multiline)]
    private static partial Regex ZoneTxt();

    public static MemoryDkimResolver JsonDns(string relative)
    {
        var dns = new MemoryDkimResolver();
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(Path.Combine(DataDir, relative)));
        foreach (var name in doc.RootElement.EnumerateObject())
        {
            if (!name.Value.TryGetProperty("TXT", out var txt)) continue;
            foreach (var record in txt.EnumerateArray())
            {
                dns.Record(name.Name, string.Concat(record.EnumerateArray().Select(s => s.GetString())));
            }
        }
        return dns;
    }

    /// <summary>A PEM public key as the key record that publishes it.</summary>
    public static string PemRecord(string relative)
    {
        var pem = System.IO.File.ReadAllText(Path.Combine(DataDir, relative));
        var body = string.Concat(pem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal)).Select(l => l.Trim()));
        return "v=DKIM1; k=rsa; p=" + body;
    }

    private static string Read(string relative) => System.IO.File.ReadAllText(Path.Combine(DataDir, relative)).Trim();

    private static MemoryDkimResolver Rfc8463() => JsonDns("postalsys-mailauth/rfc8463/dns.json");

    private static MemoryDkimResolver Gmail() => new MemoryDkimResolver().Record("20120113._domainkey.gmail.com", PemRecord("mimekit/gmail.pub"));

    public static IEnumerable<Case> Cases() =>
    [
        new("rfc6376-example/rfc6376-a2-verifiable.eml", () => ZoneDns("rfc6376-example/dns.zone"), ["pass"], "RFC 6376 A.2, go-msgauth TestVerify"),
        new("stalwart-mail-auth/dkim/001.txt", () => StalwartDns("stalwart-mail-auth/dkim/001.txt"), ["pass", "pass"], "RFC 8463 A.3"),
        new("stalwart-mail-auth/dkim/002.txt", () => StalwartDns("stalwart-mail-auth/dkim/002.txt"), ["pass"], "PKCS#1 key"),
        new("stalwart-mail-auth/dkim/003.txt", () => StalwartDns("stalwart-mail-auth/dkim/003.txt"), ["pass", "pass"], "IETF list"),
        new("stalwart-mail-auth/dkim/004.txt", () => StalwartDns("stalwart-mail-auth/dkim/004.txt"), ["pass"], "facebookmail"),
        new("stalwart-mail-auth/dkim/005.txt", () => StalwartDns("stalwart-mail-auth/dkim/005.txt"), ["pass"], "topicbox"),
        new("stalwart-mail-auth/dkim/006.txt", () => StalwartDns("stalwart-mail-auth/dkim/006.txt"), ["pass"], "github"),
        new("stalwart-mail-auth/arc/001.txt", () => StalwartDns("stalwart-mail-auth/arc/001.txt"), ["pass", "pass", "fail"], "list changed the body: stalw.art body hash fails"),
        new("stalwart-mail-auth/arc/002.txt", () => StalwartDns("stalwart-mail-auth/arc/002.txt"), ["pass"], "ARC message's DKIM"),
        new("dkimpy/rfc6376.signed.msg", () => new MemoryDkimResolver()
            .Record("brisbane._domainkey.football.example.com", "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
            .Record("test._domainkey.football.example.com", Read("dkimpy/test.txt")), ["pass", "pass"], "dkimpy simple/simple"),
        new("dkimpy/test2.message", Gmail, ["pass"], "degenerate folding, Debian bug 711751"),
        new("dkimpy/ed25519test2.msg", () => new MemoryDkimResolver().Record("sed._domainkey.test.ex", Read("dkimpy/eximtest.dns")), ["pass"], "Exim ed25519"),
        new("mimekit/gmail.msg", Gmail, ["pass"], "MimeKit gmail"),
        new("mimekit/related.msg", Gmail, ["pass"], "MimeKit related"),
        new("mimekit/multipart-no-end-boundary.msg", Gmail, ["pass"], "MimeKit no end boundary"),
        new("mimekit/rfc8463-example.msg", Rfc8463, ["pass", "pass"], "RFC 8463 example"),
        new("postalsys-mailauth/rfc8463/signed.eml", Rfc8463, ["pass", "pass"], "postalsys RFC 8463"),
    ];

    public static string Describe(IEnumerable<DkimVerification> results)
    {
        var sb = new StringBuilder();
        foreach (var v in results)
        {
            sb.Append(v).Append('\n');
            foreach (var s in v.Steps) sb.Append("   ").Append(s).Append('\n');
        }
        return sb.ToString();
    }
}
