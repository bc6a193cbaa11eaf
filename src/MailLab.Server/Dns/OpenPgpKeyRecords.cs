using System.Security.Cryptography;
using System.Text;
using MailLab.Protocols.Dns;
using MailLab.Server.Web;

namespace MailLab.Server.Dns;

/// <summary>One OPENPGPKEY record MailLab published for a lab user.</summary>
public sealed record PublishedOpenPgpKey(string Address, string Fingerprint, string OwnerName, string ZoneFile);

/// <summary>
/// The lab users' OpenPGP keys in the lab DNS (RFC 7929, DANE for OpenPGP): an OPENPGPKEY record at
/// <c>&lt;SHA-256 of the local part, first 28 octets, hex&gt;._openpgpkey.&lt;domain&gt;</c> whose data is the binary
/// key of <c>&lt;data&gt;/pgp/public/&lt;address&gt;.asc</c>. Like a DKIM key, a key is published once, by appending
/// the record to <c>&lt;data&gt;/zones/&lt;domain&gt;.zone</c> where students can read, edit or delete it; every key
/// again when the zone directory itself is new. <c>&lt;data&gt;/pgp/dns-published</c> remembers which key
/// fingerprints were published, so a student's deletion stays deleted across restarts.
/// </summary>
public static class OpenPgpKeyRecords
{
    /// <summary>RFC 7929 §3: the hash of the local part is truncated to 28 octets.</summary>
    private const int HashOctets = 28;

    /// <summary>
    /// The owner name of <paramref name="address"/>'s record: the local part's SHA-256 (of its UTF-8 as
    /// written; lab addresses are lower case), first 28 octets in hex, under <c>_openpgpkey</c> of the domain.
    /// </summary>
    public static string OwnerName(string address)
    {
        int at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1) throw new ArgumentException($"'{address}' is not local@domain", nameof(address));
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(address[..at]));
        return $"{Convert.ToHexStringLower(hash.AsSpan(0, HashOctets))}._openpgpkey.{DnsNames.Normalize(address[(at + 1)..])}";
    }

    /// <summary>
    /// Publishes the key of every lab user in <c>&lt;data&gt;/pgp/public</c> not published before (all of them
    /// with <paramref name="publishAll"/>, for new zone files); returns what was appended. A user whose
    /// domain has no zone file here, or whose key file is not a public key, is left out.
    /// </summary>
    public static IReadOnlyList<PublishedOpenPgpKey> PublishUserKeys(string dataDirectory, bool publishAll = false)
    {
        string keys = Path.Combine(dataDirectory, "pgp", "public");
        if (!Directory.Exists(keys)) return [];
        string stateFile = Path.Combine(dataDirectory, "pgp", "dns-published");
        var done = File.Exists(stateFile) ? File.ReadAllLines(stateFile).ToHashSet(StringComparer.Ordinal) : [];
        var published = new List<PublishedOpenPgpKey>();
        foreach (string file in Directory.GetFiles(keys, "*.asc").Order(StringComparer.Ordinal))
        {
            string address = Path.GetFileNameWithoutExtension(file);
            if (!address.Contains('@')) continue;
            var parsed = PgpKeyText.Parse(File.ReadAllBytes(file));
            if (parsed.Problem is not null || parsed.Keys.Count != 1) continue;
            string line = $"{address} {PgpKeyText.Fingerprint(parsed.Keys[0])}";
            if (done.Contains(line) && !publishAll) continue;
            if (Publish(dataDirectory, address, parsed.Keys[0].GetEncoded()) is { } p)
            {
                published.Add(p with { Fingerprint = PgpKeyText.Fingerprint(parsed.Keys[0]) });
                if (done.Add(line)) File.AppendAllText(stateFile, line + "\n");
            }
        }
        return published;
    }

    /// <summary>
    /// Appends <paramref name="address"/>'s OPENPGPKEY record with <paramref name="key"/> (binary) to its domain's
    /// zone file, only into a regular file of its own (like <see cref="Dkim.DkimKeySet.Publish"/>); null when there is none.
    /// </summary>
    public static PublishedOpenPgpKey? Publish(string dataDirectory, string address, byte[] key)
    {
        string owner = OwnerName(address);
        string domain = address[(address.LastIndexOf('@') + 1)..].ToLowerInvariant();
        string zoneFile = Path.Combine(dataDirectory, "zones", domain + ".zone");
        if (ZoneFileAccess.Status(zoneFile) is not { Kind: ZoneFileKind.Regular, Links: 1 } status) return null;
        if (ZoneFileAccess.ReadRegular(zoneFile, status, ZoneStore.MaxZoneFileBytes, out _) is not { } bytes) return null;
        string text = Encoding.UTF8.GetString(bytes);
        string sep = text.EndsWith('\n') ? "" : "\n";
        // RFC 7929 §2.3: base64, here in lines of 64 inside parentheses so the zone file stays readable.
        string base64 = Convert.ToBase64String(key);
        var lines = Enumerable.Range(0, (base64.Length + 63) / 64).Select(i => "    " + base64.Substring(i * 64, Math.Min(64, base64.Length - i * 64)));
        File.AppendAllText(zoneFile,
            $"{sep}\n; OpenPGP key of {address} (RFC 7929: SHA-256 of the local part '{address[..address.LastIndexOf('@')]}', 28 octets),\n"
            + $"; published by MailLab from pgp/public/{address}.asc. Fetch it with: dig +tcp {owner} OPENPGPKEY\n"
            + $"{owner}. 3600 IN OPENPGPKEY (\n{string.Join("\n", lines)} )\n");
        return new PublishedOpenPgpKey(address, "", owner, zoneFile);
    }
}
