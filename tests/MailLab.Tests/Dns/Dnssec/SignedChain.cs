using System.Net;
using MailLab.Protocols.Dns;
using MailLab.Protocols.Dns.Dnssec;

namespace MailLab.Tests.Dns.Dnssec;

/// <summary>
/// A small signed world made with the signer's primitives: the root zone <c>test.</c> (KSK + ZSK) delegating
/// securely to <c>bank.test.</c> (KSK + ZSK) and insecurely to <c>plain.test.</c>; helpers sign any RRset.
/// </summary>
internal sealed class SignedChain : IDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    public static readonly uint Inception = (uint)Now.AddDays(-1).ToUnixTimeSeconds();
    public static readonly uint Expiration = (uint)Now.AddDays(14).ToUnixTimeSeconds();

    public SignedChain(byte algorithm = DnssecAlgorithm.EcdsaP256Sha256)
    {
        RootKsk = DnssecKey.Generate(algorithm, DnskeyData.KeySigningKeyFlags);
        RootZsk = DnssecKey.Generate(algorithm, DnskeyData.ZoneKeyFlags);
        BankKsk = DnssecKey.Generate(algorithm, DnskeyData.KeySigningKeyFlags);
        BankZsk = DnssecKey.Generate(algorithm, DnskeyData.ZoneKeyFlags);
    }

    public DnssecKey RootKsk { get; }
    public DnssecKey RootZsk { get; }
    public DnssecKey BankKsk { get; }
    public DnssecKey BankZsk { get; }

    public TrustAnchor Anchor => TrustAnchor.FromDs("test.", DnssecCanonical.Ds("test", RootKsk.Dnskey));

    public static List<DnsRecord> Records(string owner, DnsType type, params DnsRData[] data) =>
        data.Select(d => new DnsRecord(owner, type, 300, d)).ToList();

    public static SignedRRset Sign(string owner, DnsType type, IReadOnlyList<DnsRecord> records, string signer, params DnssecKey[] keys) =>
        new(owner, type, records, keys.Select(k => RrsigSigner.Sign(k, signer, records, Inception, Expiration)).ToList());

    public SignedRRset Dnskeys(string zone, DnssecKey ksk, DnssecKey zsk) =>
        Sign(zone, DnsType.DNSKEY, Records(zone, DnsType.DNSKEY, ksk.Dnskey, zsk.Dnskey), zone, ksk);

    public ChainZone Root => new("test", Dnskeys("test", RootKsk, RootZsk));

    public SignedRRset BankDs => Sign("bank.test", DnsType.DS, Records("bank.test", DnsType.DS, DnssecCanonical.Ds("bank.test", BankKsk.Dnskey)), "test", RootZsk);

    public ChainZone Bank => new("bank.test", Dnskeys("bank.test", BankKsk, BankZsk), BankDs);

    public IReadOnlyList<ChainZone> BankChain => [Root, Bank];

    public static List<DnsRecord> MxRecords => Records("bank.test", DnsType.MX, new MxData(10, "mx.bank.test"));

    public SignedRRset SignedMx => Sign("bank.test", DnsType.MX, MxRecords, "bank.test", BankZsk);

    public SignedRRset Nsec(string zone, DnssecKey zsk, string owner, string next, params DnsType[] types) =>
        Sign(owner, DnsType.NSEC, Records(owner, DnsType.NSEC, new NsecData(next, types)), zone, zsk);

    /// <summary>The root's NSEC at plain.test: a delegation (NS) without DS.</summary>
    public SignedRRset PlainNoDs => Nsec("test", RootZsk, "plain.test", "test", DnsType.NS, DnsType.RRSIG, DnsType.NSEC);

    public static List<DnsRecord> ARecords(string owner) => Records(owner, DnsType.A, new AddressData(IPAddress.Parse("127.0.2.1")));

    public void Dispose()
    {
        RootKsk.Dispose();
        RootZsk.Dispose();
        BankKsk.Dispose();
        BankZsk.Dispose();
    }
}
