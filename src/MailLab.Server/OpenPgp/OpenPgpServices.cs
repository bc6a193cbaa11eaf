namespace MailLab.Server.OpenPgp;

/// <summary>
/// What verification at delivery needs, one per lab process: the users' keys (<c>&lt;data&gt;/pgp</c>), the key
/// server's base URI (HKP), and the OPENPGPKEY lookup. The key server's URI is set once the lab's HTTP service
/// is bound (its port may be chosen by the system); until then lookups skip it and say so.
/// </summary>
public sealed class OpenPgpServices
{
    /// <summary>The services over <paramref name="store"/>, with <paramref name="dns"/> for OPENPGPKEY (null: none).</summary>
    public OpenPgpServices(PgpKeyStore store, IOpenPgpKeyDns? dns = null)
    {
        Store = store;
        Lookup = new PgpKeyLookup(store, () => KeyServer, dns);
    }

    private OpenPgpServices(PgpKeyStore store, IOpenPgpKeyDns dns, Func<Uri?> keyServer, HttpClient http)
    {
        Store = store;
        Lookup = new PgpKeyLookup(store, keyServer, dns, http);
    }

    /// <summary>
    /// The same keys and key server for one site's MDA: it asks the key server from <paramref name="source"/>
    /// (the site's address, marked as the lab's) and OPENPGPKEY through <paramref name="dns"/>. The key server is
    /// this object's <see cref="KeyServer"/>, read at each lookup.
    /// </summary>
    internal OpenPgpServices ForSite(System.Net.IPAddress source, IOpenPgpKeyDns dns) =>
        new(Store, dns, () => KeyServer, LabKeyClients.Http(source));

    /// <summary>The users' keys and ownertrust.</summary>
    public PgpKeyStore Store { get; }

    /// <summary>The key server's base URI (e.g. <c>http://127.0.9.1:11371/</c>); null when there is none.</summary>
    public Uri? KeyServer { get; set; }

    /// <summary>The key lookup in the lab's order: local keyring, key server, OPENPGPKEY.</summary>
    public PgpKeyLookup Lookup { get; }
}
