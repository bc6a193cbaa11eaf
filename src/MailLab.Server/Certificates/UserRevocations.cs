using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MailLab.Server.Certificates;

/// <summary>
/// The user CA's revocations: a durable list (user-ca.revoked, one line per certificate: serial, time,
/// reason, address) and the CRL made from it (user-ca.crl, DER as RFC 5280 §4.2.1.13 wants it over
/// HTTP), written again after every revocation and at every start, so its nextUpdate stays ahead.
/// </summary>
public sealed class UserRevocations
{
    public const string ListFileName = "user-ca.revoked";
    public const string CrlFileName = "user-ca.crl";

    /// <summary>How long a CRL is current (RFC 5280 §5.1.2.5 nextUpdate); every start and revoke writes a fresh one.</summary>
    public static readonly TimeSpan CrlLifetime = TimeSpan.FromDays(30);

    private readonly X509Certificate2 _signer;

    internal UserRevocations(string directory, X509Certificate2 signer)
    {
        _signer = signer;
        ListPath = Path.Combine(directory, ListFileName);
        CrlPath = Path.Combine(directory, CrlFileName);
    }

    /// <summary>One revoked certificate.</summary>
    /// <param name="Serial">The serial number in hex, as <see cref="X509Certificate2.SerialNumber"/> shows it.</param>
    /// <param name="RevokedAt">When it was revoked.</param>
    /// <param name="Reason">The RFC 5280 §5.3.1 reason.</param>
    /// <param name="Address">Whose certificate it was.</param>
    public sealed record Entry(string Serial, DateTimeOffset RevokedAt, X509RevocationReason Reason, string Address);

    /// <summary>The durable list of revocations.</summary>
    public string ListPath { get; }

    /// <summary>The CRL file (DER).</summary>
    public string CrlPath { get; }

    /// <summary>Every revocation, oldest first; unreadable lines are skipped.</summary>
    public IReadOnlyList<Entry> All()
    {
        if (!File.Exists(ListPath)) return [];
        var entries = new List<Entry>();
        foreach (string line in File.ReadAllLines(ListPath))
        {
            string[] f = line.Split('\t');
            if (f.Length == 4 && DateTimeOffset.TryParse(f[1], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                && Enum.TryParse(f[2], out X509RevocationReason reason))
            {
                entries.Add(new Entry(f[0], at, reason, f[3]));
            }
        }

        return entries;
    }

    /// <summary>The revocation of the certificate with this serial, or null.</summary>
    public Entry? Find(string serial) => All().FirstOrDefault(e => string.Equals(e.Serial, serial, StringComparison.OrdinalIgnoreCase));

    /// <summary>Adds a revocation (an already revoked serial keeps its first entry) and writes the CRL.</summary>
    public Entry Revoke(string serial, string address, X509RevocationReason reason, DateTimeOffset at)
    {
        if (Find(serial) is { } existing) return existing;
        var entry = new Entry(serial.ToUpperInvariant(), at, reason, address);
        var line = $"{entry.Serial}\t{at.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}\t{reason}\t{address}\n";
        File.AppendAllText(ListPath, line, Encoding.ASCII);
        WriteCrl();
        return entry;
    }

    /// <summary>Writes the CRL from the list (RFC 5280 §5), signed by the user CA, current for <see cref="CrlLifetime"/>.</summary>
    public void WriteCrl()
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (Entry e in All())
        {
            builder.AddEntry(Convert.FromHexString(e.Serial), e.RevokedAt, e.Reason);
        }

        DateTimeOffset now = DateTimeOffset.UtcNow;
        // RFC 5280 §5.2.3: the CRL number only grows; milliseconds since 1970 do while the clock does.
        var number = new BigInteger(now.ToUnixTimeMilliseconds());
        byte[] crl = builder.Build(_signer, number, now + CrlLifetime, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, now.AddMinutes(-5));
        string temp = $"{CrlPath}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllBytes(temp, crl);
            File.Move(temp, CrlPath, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
