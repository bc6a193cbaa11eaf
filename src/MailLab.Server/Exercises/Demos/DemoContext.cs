using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using MailLab.Server.Certificates;
using MailLab.Server.Lab;
using MailLab.Server.Listeners;

namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// What a scripted student needs to know about the running lab: its definition (domains, users),
/// the bound listeners from <c>listeners.json</c> (never hard-coded addresses or ports), the data
/// directory (zone files, delivered mail, lab CA) and the address to connect from.
/// </summary>
public sealed class DemoContext
{
    /// <summary>A context over a running lab.</summary>
    /// <param name="lab">The lab definition (domains and users).</param>
    /// <param name="dataDirectory">The running lab's data directory.</param>
    /// <param name="listeners">Its bound listeners (from listeners.json or the runtime).</param>
    /// <param name="student">The local address to connect from (SMTP, POP3, IMAP); null lets the system choose.</param>
    /// <param name="output">Where the demo narrates.</param>
    public DemoContext(LabDefinition lab, string dataDirectory, IReadOnlyList<ListenerInfo> listeners, IPAddress? student, TextWriter output)
    {
        Lab = lab;
        DataDirectory = dataDirectory;
        Listeners = listeners;
        Student = student;
        Out = output;
        string caFile = Path.Combine(dataDirectory, "certs", LabCertificateAuthority.CertificateFileName);
        LabCa = File.Exists(caFile) ? X509CertificateLoader.LoadCertificateFromFile(caFile) : null;
    }

    /// <summary>The lab's listeners as the running lab wrote them to <c>&lt;data&gt;/listeners.json</c>.</summary>
    public static IReadOnlyList<ListenerInfo> ReadListeners(string dataDirectory)
    {
        string file = Path.Combine(dataDirectory, "listeners.json");
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(file), ListenerJson.Default.ListListenerInfo) ?? [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new DemoException($"the lab is not running (cannot read {file}: {e.Message}); start it with 'maillab up'");
        }
    }

    /// <summary>The lab definition (sites, domains, users).</summary>
    public LabDefinition Lab { get; }

    /// <summary>The running lab's data directory.</summary>
    public string DataDirectory { get; }

    /// <summary>The bound listeners.</summary>
    public IReadOnlyList<ListenerInfo> Listeners { get; }

    /// <summary>The address the student connects from, or null.</summary>
    public IPAddress? Student { get; }

    /// <summary>Where the demo narrates what it does.</summary>
    public TextWriter Out { get; }

    /// <summary>The lab CA certificate, when the data directory has one.</summary>
    public X509Certificate2? LabCa { get; }

    /// <summary>A site of the lab definition by name.</summary>
    public SiteDefinition Site(string name) =>
        Lab.Sites.FirstOrDefault(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new DemoException($"the lab has no site '{name}' (this demo expects the default lab's sites uc, bank and evil)");

    /// <summary>A site's first domain.</summary>
    public string Domain(string site) => Site(site).Domains[0];

    /// <summary>A user of a site (its first one by default) with the password.</summary>
    public UserDefinition User(string site, int index = 0)
    {
        var users = Site(site).Users;
        return index < users.Count ? users[index] : throw new DemoException($"site '{site}' has fewer than {index + 1} users");
    }

    /// <summary>A listener's end point: role MTA, MSA, POP3, IMAP or DNS; tls none, starttls or implicit.</summary>
    public IPEndPoint EndPoint(string site, string role, string? tls = null)
    {
        var l = Listeners.FirstOrDefault(l => (site == "*" || l.Site.Equals(site, StringComparison.OrdinalIgnoreCase))
            && l.Role.Equals(role, StringComparison.OrdinalIgnoreCase) && (tls is null || l.Tls == tls))
            ?? throw new DemoException($"the running lab has no {role} listener{(tls is null ? "" : $" with TLS {tls}")} for site {site}");
        return new IPEndPoint(IPAddress.Parse(l.Address), l.Port);
    }

    /// <summary>The lab DNS end point.</summary>
    public IPEndPoint Dns => EndPoint("*", "DNS");

    /// <summary>A zone file the running lab serves (and reloads when it changes).</summary>
    public string ZoneFile(string domain) => Path.Combine(DataDirectory, "zones", domain + ".zone");

    /// <summary>A user's Maildir folder ("new" holds delivered, unread messages).</summary>
    public string Maildir(string address, string folder = "INBOX")
    {
        int at = address.LastIndexOf('@');
        return Path.Combine(DataDirectory, "mail", address[(at + 1)..].ToLowerInvariant(), address[..at].ToLowerInvariant(), folder, "new");
    }

    /// <summary>Accepts a server certificate that chains to the lab CA and matches the name (or address) connected to.</summary>
    public bool ValidateServer(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || LabCa is null) return false;
        using var c = new X509Chain();
        c.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        c.ChainPolicy.CustomTrustStore.Add(LabCa);
        c.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        bool chained = c.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        return chained && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
    }

    /// <summary>Narrates one step for the class.</summary>
    public void Step(string text)
    {
        Out.WriteLine();
        Out.WriteLine($"== {text}");
    }

    /// <summary>Waits (up to <paramref name="timeout"/>) for a delivered message in a Maildir whose text contains <paramref name="marker"/>.</summary>
    public async Task<string> WaitForMessageAsync(string address, string marker, TimeSpan timeout, CancellationToken ct)
    {
        string dir = Maildir(address);
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Directory.Exists(dir))
            {
                foreach (var file in Directory.GetFiles(dir))
                {
                    string text = await File.ReadAllTextAsync(file, ct);
                    if (text.Contains(marker, StringComparison.Ordinal)) return text;
                }
            }
            await Task.Delay(100, ct);
        }
        throw new DemoException($"no message containing '{marker}' reached {address} within {timeout.TotalSeconds:0} s");
    }
}

/// <summary>The demo cannot go on (lab not running, a step answered unexpectedly); the message says why.</summary>
public sealed class DemoException(string message) : Exception(message);
