using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailLab.Protocols.Dns;

namespace MailLab.Server.Dns;

/// <summary>One TLSA record MailLab published (or updated) for a site's host.</summary>
public sealed record PublishedTlsa(string Owner, string Record, string ZoneFile, bool Replaced);

/// <summary>
/// The sites' TLSA records for DANE (RFC 6698, RFC 7672) in the lab DNS: at <c>_25._tcp.HOST</c> for every host
/// name of a site under its zone, usage 3 1 1 (DANE-EE, SHA-256 of the MTA certificate's SPKI) by default or 2 1 1
/// (DANE-TA, SHA-256 of the lab CA's SPKI). Appended to <c>&lt;data&gt;/zones/DOMAIN.zone</c> like DKIM and OpenPGP
/// keys; <c>&lt;data&gt;/certs/tlsa-published</c> remembers what was published per owner, so a renewed certificate
/// replaces its old line in place while a line a student deleted stays deleted.
/// </summary>
public static class TlsaRecords
{
    /// <summary>
    /// The port in the TLSA owner name: 25. RFC 7672 §2.2.3 names the port the client connects to, and MX
    /// delivery is to port 25; the lab's MTAs listen on 2525 only because the embedded mode cannot bind 25, a
    /// routing detail of the lab (relay-port), so the records are where a real MX's would be and the relay
    /// looks them up there (<see cref="OwnerName"/>), whatever port it then connects to.
    /// </summary>
    public const int Port = 25;

    private const string StateFile = "tlsa-published";

    /// <summary>The owner name of <paramref name="host"/>'s SMTP TLSA RRset: <c>_25._tcp.HOST</c>.</summary>
    public static string OwnerName(string host) => $"_{Port}._tcp.{DnsNames.Normalize(host)}";

    /// <summary>
    /// The record data for <paramref name="server"/> (DANE-EE, usage 3) or <paramref name="ca"/> (DANE-TA, usage 2):
    /// selector 1 (SubjectPublicKeyInfo), matching type 1 (SHA-256), RFC 7672 §3.1.1 and §3.2.1's recommendation.
    /// </summary>
    public static TlsaData Record(X509Certificate2 server, X509Certificate2 ca, bool daneTa)
    {
        var cert = daneTa ? ca : server;
        return new TlsaData(daneTa ? (byte)2 : (byte)3, 1, 1, SHA256.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>
    /// Publishes <paramref name="record"/> for each host of <paramref name="hosts"/> that lies in one of
    /// <paramref name="domains"/>' zone files: appended when never published (or always with
    /// <paramref name="publishAll"/>, for new zone files), the old line replaced when the record changed; nothing
    /// when the owner's last published line is no longer in the zone (a student removed it).
    /// </summary>
    public static IReadOnlyList<PublishedTlsa> Publish(string dataDirectory, IEnumerable<string> domains, IEnumerable<string> hosts,
        TlsaData record, bool publishAll = false)
    {
        string state = Path.Combine(dataDirectory, "certs", StateFile);
        var last = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (File.Exists(state))
        {
            foreach (var l in File.ReadAllLines(state))
            {
                int tab = l.IndexOf('\t');
                if (tab > 0) last[l[..tab]] = l[(tab + 1)..];
            }
        }
        var done = new List<PublishedTlsa>();
        var domainList = domains.Select(DnsNames.Normalize).ToList();
        foreach (var host in hosts.Select(DnsNames.Normalize).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            // The zone whose origin is the closest domain of the site above the host.
            var domain = domainList.Where(d => DnsNames.IsAtOrBelow(host, d)).OrderByDescending(d => d.Length).FirstOrDefault();
            if (domain is null) continue;
            string owner = OwnerName(host);
            string line = $"{owner}. 3600 IN TLSA {record.ToZoneText().ToLowerInvariant()}";
            string zoneFile = Path.Combine(dataDirectory, "zones", domain + ".zone");
            if (ZoneFileAccess.Status(zoneFile) is not { Kind: ZoneFileKind.Regular, Links: 1 } status) continue;
            if (ZoneFileAccess.ReadRegular(zoneFile, status, ZoneStore.MaxZoneFileBytes, out _) is not { } bytes) continue;
            string text = Encoding.UTF8.GetString(bytes);
            bool known = last.TryGetValue(owner, out var previous);
            if (known && previous == line && !publishAll) continue;
            if (known && !publishAll)
            {
                if (!text.Contains(previous!, StringComparison.Ordinal)) continue; // deleted by a student: stays deleted
                File.WriteAllText(zoneFile, text.Replace(previous!, line, StringComparison.Ordinal));
                done.Add(new PublishedTlsa(owner, line, zoneFile, Replaced: true));
            }
            else
            {
                string sep = text.EndsWith('\n') ? "" : "\n";
                File.AppendAllText(zoneFile,
                    $"{sep}\n; DANE (RFC 7672): the TLSA record of {host}'s SMTP service, usage {record.Usage} "
                    + (record.Usage == 3 ? "DANE-EE: SHA-256 of the MTA certificate's public key" : "DANE-TA: SHA-256 of the lab CA's public key")
                    + $",\n; published by MailLab (a new certificate updates it). Check it with: dig {owner} TLSA\n{line}\n");
                done.Add(new PublishedTlsa(owner, line, zoneFile, Replaced: false));
            }
            last[owner] = line;
        }
        if (done.Count > 0)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(state)!);
            File.WriteAllLines(state, last.Select(kv => $"{kv.Key}\t{kv.Value}"));
        }
        return done;
    }
}
