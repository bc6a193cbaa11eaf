using MailLab.MailAuth.Dkim;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;

namespace MailLab.Server.Dkim;

/// <summary>One signing key of a domain: selector, key, and the record published for it.</summary>
public sealed record DkimSigningKey(string Domain, string Selector, DkimPrivateKey Key, string KeyFile)
{
    /// <summary>The TXT record text (RFC 6376 §3.6.1).</summary>
    public string Record => Key.ToDnsRecord();

    /// <summary>The zone-file line publishing the key: absolute owner name, TXT split into 255-octet strings.</summary>
    public string ZoneLine => $"{DkimVerifier.KeyName(Selector, Domain)}. 3600 IN TXT {TxtData.FromText(Record).ToZoneText()}";
}

/// <summary>
/// A site's DKIM keys, one rsa-sha256 (2048 bits) and one ed25519-sha256 (RFC 8463) per domain, kept in
/// <c>&lt;data&gt;/dkim/&lt;domain&gt;/&lt;selector&gt;.key</c> (PKCS#8 PEM, mode 0600). A key made on first start is
/// published by appending its record to <c>&lt;data&gt;/zones/&lt;domain&gt;.zone</c>, where students can see,
/// edit or delete it; so is every key when the zone directory itself was made by this start. Other
/// starts leave the zone as the student left it.
/// </summary>
public sealed class DkimKeySet
{
    /// <summary>Selector of the RSA key.</summary>
    public const string RsaSelector = "lab-rsa";

    /// <summary>Selector of the Ed25519 key.</summary>
    public const string Ed25519Selector = "lab-ed25519";

    private DkimKeySet(IReadOnlyList<DkimSigningKey> keys, IReadOnlyList<DkimSigningKey> created)
    {
        Keys = keys;
        Created = created;
    }

    /// <summary>Every key, per domain RSA first.</summary>
    public IReadOnlyList<DkimSigningKey> Keys { get; }

    /// <summary>The keys made by this start (empty when all existed).</summary>
    public IReadOnlyList<DkimSigningKey> Created { get; }

    /// <summary>The keys that sign for <paramref name="domain"/>.</summary>
    public IReadOnlyList<DkimSigningKey> For(string domain) =>
        Keys.Where(k => k.Domain.Equals(domain, StringComparison.OrdinalIgnoreCase)).ToList();

    /// <summary>
    /// Loads the keys of <paramref name="domains"/>, making and publishing missing ones; with
    /// <paramref name="publishAll"/> (fresh zone files) existing keys are published too.
    /// </summary>
    public static DkimKeySet LoadOrCreate(string dataDirectory, IEnumerable<string> domains, bool publishAll = false)
    {
        var keys = new List<DkimSigningKey>();
        var created = new List<DkimSigningKey>();
        foreach (string domain in domains.Select(d => d.ToLowerInvariant()))
        {
            string dir = Path.Combine(dataDirectory, "dkim", domain);
            Directory.CreateDirectory(dir);
            foreach (var (selector, make) in new (string, Func<DkimPrivateKey>)[]
                { (RsaSelector, () => DkimPrivateKey.CreateRsa()), (Ed25519Selector, DkimPrivateKey.CreateEd25519) })
            {
                string file = Path.Combine(dir, selector + ".key");
                if (File.Exists(file))
                {
                    var existing = new DkimSigningKey(domain, selector, DkimPrivateKey.FromPem(File.ReadAllText(file)), file);
                    if (publishAll) Publish(Path.Combine(dataDirectory, "zones", domain + ".zone"), existing);
                    keys.Add(existing);
                    continue;
                }
                var key = new DkimSigningKey(domain, selector, make(), file);
                WriteKey(key);
                Publish(Path.Combine(dataDirectory, "zones", domain + ".zone"), key);
                keys.Add(key);
                created.Add(key);
            }
        }
        return new DkimKeySet(keys, created);
    }

    /// <summary>Writes the private key (0600 from the start, then renamed into place) and the record beside it.</summary>
    public static void WriteKey(DkimSigningKey key)
    {
        string tmp = key.KeyFile + ".tmp";
        using (var fs = Store.DurableFile.CreateFresh(tmp, secret: true))
        using (var w = new StreamWriter(fs))
        {
            w.Write(key.Key.ToPem());
        }
        File.Move(tmp, key.KeyFile, overwrite: true);
        File.WriteAllText(Path.ChangeExtension(key.KeyFile, ".txt"), key.ZoneLine + "\n");
    }

    /// <summary>
    /// Appends the key's record to a zone file, if the lab serves that zone from this data directory
    /// and the file is a regular file of its own: like the zone loader, never through a symbolic link
    /// (it could point anywhere) and never into a FIFO (opening it would wait for ever).
    /// </summary>
    public static bool Publish(string zoneFile, DkimSigningKey key)
    {
        if (Dns.ZoneFileAccess.Status(zoneFile) is not { Kind: Dns.ZoneFileKind.Regular, Links: 1 } status) return false;
        if (Dns.ZoneFileAccess.ReadRegular(zoneFile, status, Dns.ZoneStore.MaxZoneFileBytes, out _) is not { } bytes) return false;
        string text = System.Text.Encoding.UTF8.GetString(bytes);
        string sep = text.EndsWith('\n') ? "" : "\n";
        File.AppendAllText(zoneFile,
            $"{sep}\n; DKIM key {key.Selector} ({DkimSignature.Name(key.Key.Algorithm)}, {key.Key.Bits} bits), made by MailLab on first start;\n"
            + $"; the private key is {key.KeyFile}. Delete this record and signatures by it give permerror (no key).\n"
            + key.ZoneLine + "\n");
        return true;
    }
}
