using System.Text;
using MailLab.MailAuth.Dkim;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Dkim;

/// <summary>
/// The whole DKIM conformance suite once more, with every key record served by the real lab DNS
/// (written as zone files, split into 255-octet strings) and fetched over the wire.
/// </summary>
public sealed class DkimConformanceLabDnsTests
{
    private static string? Key(string record) => DkimTags.Parse(record, out _)?["p"];

    [Fact]
    public async Task Every_signed_message_verifies_as_expected_with_its_keys_in_the_lab_DNS()
    {
        var records = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var c in DkimSuite.Cases())
        {
            foreach (var (name, list) in c.Dns().Txt.Where(t => t.Key.Contains("._domainkey.", StringComparison.OrdinalIgnoreCase)))
            {
                var record = Assert.Single(list);
                // Some fixtures publish the same key with other tags (g=*); the key itself must agree.
                Assert.True(!records.TryGetValue(name, out var other) || Key(other) == Key(record), $"{name} has two different keys in the suite");
                records.TryAdd(name, record);
            }
        }

        await using var lab = TestLab.Create();
        var zones = Directory.CreateDirectory(Path.Combine(lab.DataDirectory, "zones")).FullName;
        foreach (var d in LabZones.DefaultZones()) await File.WriteAllTextAsync(Path.Combine(zones, d.Name), d.Text);
        var origins = records.GroupBy(r => r.Key[(r.Key.IndexOf("._domainkey.", StringComparison.OrdinalIgnoreCase) + 12)..].ToLowerInvariant());
        foreach (var zone in origins)
        {
            var text = new StringBuilder($"$ORIGIN {zone.Key}.\n$TTL 300\n@ IN SOA ns.{zone.Key}. hostmaster.{zone.Key}. 1 1h 15m 1w 5m\n");
            foreach (var (name, record) in zone) text.Append($"{name.ToLowerInvariant()}. IN TXT {TxtData.FromText(record).ToZoneText()}\n");
            await File.WriteAllTextAsync(Path.Combine(zones, zone.Key + ".zone"), text.ToString());
        }
        lab.Start();
        Assert.Empty(lab.Events(TraceKind.ZoneReloadFailed));

        var resolver = new LabSpfResolver(new LabResolver(lab.Runtime!.Dns!.EndPoint));
        var verifier = new DkimVerifier(resolver, new FixedTime(DkimSuite.Now));
        foreach (var c in DkimSuite.Cases())
        {
            var results = await verifier.VerifyAsync(DkimSuite.Message(c.File));
            Assert.True(c.Expected.SequenceEqual(results.Select(r => r.Keyword)), $"{c.File}: expected {string.Join(",", c.Expected)}\n{DkimSuite.Describe(results)}");
        }
        Assert.Contains(lab.Events(TraceKind.DnsQuery), e => e.Field("Name")!.TrimEnd('.') == "20120113._domainkey.gmail.com");
    }
}
