using System.Collections.Concurrent;
using System.Net;
using MailLab.Protocols.Dns;

namespace MailLab.Server.Dns;

/// <summary>One mail exchanger: its preference, host name and addresses (empty when it has none).</summary>
internal sealed record MxHost(ushort Preference, string Host, IReadOnlyList<IPAddress> Addresses);

/// <summary>
/// Where mail for a domain goes. <see cref="Hosts"/> is ordered by preference; <see cref="Implicit"/>
/// means there was no MX and the domain's own address is used (RFC 5321 §5.1); <see cref="NullMx"/>
/// means the domain accepts no mail (RFC 7505); <see cref="TempError"/> says why no answer came.
/// </summary>
internal sealed record MxResult(IReadOnlyList<MxHost> Hosts, bool Implicit, bool NullMx, bool NxDomain, string? TempError)
{
    /// <summary>The lab DNS answered REFUSED (a name outside every lab zone), counted as <see cref="NxDomain"/>.</summary>
    public bool Refused { get; init; }

    /// <summary>True when the lookup could not be completed and should be tried again later.</summary>
    public bool IsTempError => TempError is not null;

    /// <summary>The DNSSEC status of the MX answer (RFC 7672 §2.2.1: DANE applies only below a secure MX RRset).</summary>
    public DnssecStatus Dnssec { get; init; }
}

/// <summary>The values of one lookup, or why there are none: NXDOMAIN, or a temporary error with its reason.</summary>
internal sealed record DnsLookup<T>(IReadOnlyList<T> Values, bool NxDomain, string? TempError)
{
    /// <summary>True when the lookup could not be completed.</summary>
    public bool IsTempError => TempError is not null;

    /// <summary>The DNSSEC status of the answer (<see cref="DnssecStatus.Unchecked"/> when the resolver does not validate).</summary>
    public DnssecStatus Dnssec { get; init; }
}

/// <summary>
/// The mail side's resolver: asks the lab DNS only, over UDP with TCP fallback on a truncated answer
/// (<see cref="DnsTransport"/>), and keeps answers for their TTL like a real MTA's resolver (RFC 1035 §7.4;
/// negative answers for the SOA minimum, RFC 2308 §5), but never longer than <see cref="MaxCacheTtl"/>.
/// Errors are values, never exceptions, and are not cached.
/// </summary>
/// <remarks>
/// The lab gives each site a resolver of its own that asks from the site's address, as a real mail
/// host's resolver asks from the host's: a packet capture and the lab DNS's trace (DnsQuery Client)
/// then tell the MTA's and the queue's lookups from a student's <c>dig</c>, which asks from 127.0.0.1.
/// </remarks>
public sealed partial class LabResolver
{
    /// <summary>
    /// The longest an answer is kept, whatever its TTL: the lab hot-reloads zone files and students edit
    /// them mid-exercise, so an edit must be seen within seconds even where the zone says an hour.
    /// </summary>
    public static readonly TimeSpan MaxCacheTtl = TimeSpan.FromSeconds(2);

    /// <summary>Answers kept at most; a full cache is emptied (a lab has a few dozen names).</summary>
    public const int MaxCacheEntries = 10_000;

    private readonly DnsTransport transport;
    private readonly Func<object>? generation;
    private readonly ConcurrentDictionary<(string Name, DnsType Type), CachedAnswer> cache = new();
    private object? cachedGeneration;

    private sealed record CachedAnswer(DnsResponse Response, long ExpiresAt);

    /// <summary>
    /// A resolver that asks the lab DNS at <paramref name="server"/>. <paramref name="generation"/>, when
    /// given, returns an object that changes whenever the served zones change (the in-process lab DNS's
    /// zone set): the cache is emptied then, so an edit is seen at the next lookup, not after the TTL.
    /// <paramref name="source"/>: the address to ask from (a site's; null lets the system choose).
    /// <paramref name="labResolver"/>: the lab's own resolver, whose questions the lab DNS traces as the lab's
    /// (<see cref="Trace.LabOrigin.Resolver"/>); a command-line tool a student runs is not.
    /// </summary>
    public LabResolver(IPEndPoint server, TimeSpan? timeout = null, Func<object>? generation = null, IPAddress? source = null,
        bool labResolver = false)
    {
        Server = server;
        this.generation = generation;
        transport = new DnsTransport(server, source, timeout ?? TimeSpan.FromSeconds(2), retries: 1, labResolver);
    }

    /// <summary>The lab DNS endpoint.</summary>
    public IPEndPoint Server { get; }

    /// <summary>The address the questions are asked from, or null for the system's choice.</summary>
    public IPAddress? Source => transport.Source;

    /// <summary>The mail exchangers of <paramref name="domain"/>, with their addresses (RFC 5321 §5.1, RFC 7505).</summary>
    internal async Task<MxResult> ResolveMxAsync(string domain, CancellationToken ct = default)
    {
        domain = DnsNames.Normalize(domain);
        var (response, error, dnssec) = await CheckedQueryAsync(domain, DnsType.MX, ct);
        if (error is not null) return new MxResult([], false, false, false, error) { Dnssec = dnssec };
        if (IsNoSuchDomain(response!))
        {
            return new MxResult([], false, false, true, null) { Refused = response!.Rcode == DnsRcode.Refused, Dnssec = dnssec };
        }
        var mx = response!.AnswerFor<MxData>(DnsType.MX).ToList();
        if (mx.Count == 0)
        {
            // RFC 5321 §5.1: no MX records, so the domain itself is the exchanger, with preference 0.
            var own = await AddressesAsync(domain, ct);
            if (own.IsTempError) return new MxResult([], true, false, false, own.TempError) { Dnssec = dnssec };
            return new MxResult(own.Values.Count > 0 ? [new MxHost(0, domain, own.Values)] : [], true, false, own.NxDomain, null) { Dnssec = dnssec };
        }
        // RFC 7505 §3: a single MX of "." means the domain accepts no mail.
        if (mx.Any(IsNull))
        {
            return new MxResult([], false, true, false, null) { Dnssec = dnssec };
        }
        var hosts = new List<MxHost>();
        foreach (var r in mx.OrderBy(r => r.Preference))
        {
            string host = r.Exchange;
            var addresses = await AddressesAsync(host, ct);
            if (addresses.IsTempError) return new MxResult(hosts, false, false, false, $"{host}: {addresses.TempError}") { Dnssec = dnssec };
            hosts.Add(new MxHost(r.Preference, host, addresses.Values));
        }
        return new MxResult(hosts, false, false, false, null) { Dnssec = dnssec };
    }

    // The weaker of two statuses for one name's addresses: secure only when both are.
    private static DnssecStatus Weaker(DnssecStatus a, DnssecStatus b) => a == DnssecStatus.Secure ? b : a;

    private static bool IsNull(MxData r) => r.Preference == 0 && r.Exchange.Length == 0;

    /// <summary>The TXT records at <paramref name="name"/>, each with its character-strings joined (RFC 7208 §3.3).</summary>
    internal async Task<DnsLookup<string>> TxtAsync(string name, CancellationToken ct = default)
    {
        var (response, error, dnssec) = await CheckedQueryAsync(DnsNames.Normalize(name), DnsType.TXT, ct);
        if (error is not null) return new DnsLookup<string>([], false, error) { Dnssec = dnssec };
        bool nx = IsNoSuchDomain(response!);
        return new DnsLookup<string>(response!.AnswerFor<TxtData>(DnsType.TXT).Select(t => t.Text).ToList(), nx, null) { Dnssec = dnssec };
    }

    /// <summary>
    /// The OpenPGP keys the lab DNS publishes for <paramref name="address"/> (RFC 7929 OPENPGPKEY at
    /// <see cref="OpenPgpKeyRecords.OwnerName"/>), each the binary transferable public key. Keys are large:
    /// a truncated UDP answer is asked again over TCP (RFC 7766 §5).
    /// </summary>
    internal async Task<DnsLookup<byte[]>> OpenPgpKeysAsync(string address, CancellationToken ct = default)
    {
        var (response, error, dnssec) = await CheckedQueryAsync(OpenPgpKeyRecords.OwnerName(address), DnsType.OPENPGPKEY, ct);
        if (error is not null) return new DnsLookup<byte[]>([], false, error) { Dnssec = dnssec };
        var keys = response!.AnswerFor<OpenPgpKeyData>(DnsType.OPENPGPKEY).Select(k => k.Key).ToList();
        return new DnsLookup<byte[]>(keys, IsNoSuchDomain(response), null) { Dnssec = dnssec };
    }

    /// <summary>
    /// The TLSA records of <paramref name="port"/>/tcp at <paramref name="host"/> (RFC 6698 §3,
    /// <c>_25._tcp.mx.example.test</c>), with their DNSSEC status (<see cref="DnssecStatus.Unchecked"/> when the
    /// resolver does not validate). A bogus TLSA RRset is a temporary error (RFC 7672 §2.2: delivery is deferred).
    /// </summary>
    internal async Task<TlsaLookup> TlsaAsync(string host, int port, CancellationToken ct = default)
    {
        string owner = $"_{port}._tcp.{DnsNames.Normalize(host)}";
        var (response, error, dnssec) = await CheckedQueryAsync(owner, DnsType.TLSA, ct);
        if (error is not null)
        {
            return new TlsaLookup(owner, [], dnssec, false, error, dnssec == DnssecStatus.Bogus ? error : null);
        }
        var records = response!.AnswerFor<TlsaData>(DnsType.TLSA).ToList();
        return new TlsaLookup(owner, records, dnssec, IsNoSuchDomain(response), null);
    }

    /// <summary>The IPv4 then IPv6 addresses of <paramref name="name"/>.</summary>
    internal async Task<DnsLookup<IPAddress>> AddressesAsync(string name, CancellationToken ct = default)
    {
        name = DnsNames.Normalize(name);
        var (a, errorA, statusA) = await CheckedQueryAsync(name, DnsType.A, ct);
        if (errorA is not null) return new DnsLookup<IPAddress>([], false, errorA) { Dnssec = statusA };
        if (IsNoSuchDomain(a!)) return new DnsLookup<IPAddress>([], true, null) { Dnssec = statusA };
        var (aaaa, errorAaaa, statusAaaa) = await CheckedQueryAsync(name, DnsType.AAAA, ct);
        if (errorAaaa is not null) return new DnsLookup<IPAddress>([], false, errorAaaa) { Dnssec = statusAaaa };
        var list = a!.AnswerFor<AddressData>(DnsType.A).Concat(aaaa!.AnswerFor<AddressData>(DnsType.AAAA)).Select(r => r.Address).ToList();
        return new DnsLookup<IPAddress>(list, false, null) { Dnssec = Weaker(statusA, statusAaaa) };
    }

    /// <summary>The A (<see cref="System.Net.Sockets.AddressFamily.InterNetwork"/>) or AAAA records of <paramref name="name"/>.</summary>
    internal async Task<DnsLookup<IPAddress>> AddressesAsync(string name, System.Net.Sockets.AddressFamily family, CancellationToken ct = default)
    {
        var type = family == System.Net.Sockets.AddressFamily.InterNetworkV6 ? DnsType.AAAA : DnsType.A;
        var (response, error, dnssec) = await CheckedQueryAsync(DnsNames.Normalize(name), type, ct);
        if (error is not null) return new DnsLookup<IPAddress>([], false, error) { Dnssec = dnssec };
        var list = response!.AnswerFor<AddressData>(type).Select(r => r.Address).ToList();
        return new DnsLookup<IPAddress>(list, IsNoSuchDomain(response), null) { Dnssec = dnssec };
    }

    /// <summary>The MX records of <paramref name="name"/> as published (preference, exchange), without resolving addresses.</summary>
    internal async Task<DnsLookup<(int Preference, string Exchange)>> MxRecordsAsync(string name, CancellationToken ct = default)
    {
        var (response, error, dnssec) = await CheckedQueryAsync(DnsNames.Normalize(name), DnsType.MX, ct);
        if (error is not null) return new DnsLookup<(int, string)>([], false, error) { Dnssec = dnssec };
        var list = response!.AnswerFor<MxData>(DnsType.MX).Select(r => ((int)r.Preference, r.Exchange)).ToList();
        return new DnsLookup<(int, string)>(list, IsNoSuchDomain(response), null) { Dnssec = dnssec };
    }

    /// <summary>The PTR names of <paramref name="address"/>'s reverse name (RFC 1035 §3.5, RFC 3596 §2.5).</summary>
    internal async Task<DnsLookup<string>> PtrAsync(IPAddress address, CancellationToken ct = default)
    {
        var name = DnsNames.ReverseName(address);
        var (response, error, dnssec) = await CheckedQueryAsync(name, DnsType.PTR, ct);
        if (error is not null) return new DnsLookup<string>([], false, error) { Dnssec = dnssec };
        var list = response!.AnswerFor<NameData>(DnsType.PTR).Select(r => r.Target).ToList();
        return new DnsLookup<string>(list, IsNoSuchDomain(response), null) { Dnssec = dnssec };
    }

    /// <summary>
    /// The lab DNS is the whole DNS of the lab's internet: a name it refuses (outside every lab zone)
    /// does not exist for lab mail, so REFUSED counts as NXDOMAIN (mail to it bounces at once, SPF
    /// finds no record) instead of a temporary error that would keep mail queued for an hour.
    /// </summary>
    private static bool IsNoSuchDomain(DnsResponse r) => r.Rcode is DnsRcode.NXDomain or DnsRcode.Refused;

    /// <summary>
    /// How long <paramref name="r"/> may be kept: the smallest answer TTL (RFC 2181 §5.2), or for a
    /// negative answer the SOA's TTL and minimum, whichever is less (RFC 2308 §5); capped at
    /// <see cref="MaxCacheTtl"/>. A negative answer without a SOA is not cached (RFC 2308 §5). REFUSED is kept for
    /// <see cref="MaxCacheTtl"/>: the lab DNS refuses only names outside every lab zone (its rate limit drops or
    /// truncates, never refuses), RFC 2308 §7.1 lets a resolver keep such an answer from its one server for up to five
    /// minutes, and a zone reload empties the cache. Not keeping it cost a round trip per message: the DMARC tree walk
    /// (RFC 9989 §4.10) asks for <c>_dmarc.TLD</c>, which no lab zone holds, for every message (issue 19, bench/inbound).
    /// </summary>
    private static TimeSpan? CacheTtl(DnsResponse r)
    {
        if (r.Rcode == DnsRcode.Refused) return MaxCacheTtl;
        uint seconds;
        if (r.Answers.Count > 0)
        {
            seconds = r.Answers.Min(a => a.Ttl);
        }
        else if (r.Authority.FirstOrDefault(a => a.Type == DnsType.SOA) is { Data: SoaData soa } soaRecord)
        {
            seconds = Math.Min(soaRecord.Ttl, soa.Minimum);
        }
        else
        {
            return null;
        }
        if (seconds == 0) return null; // TTL 0: use once, never keep (RFC 1035 §3.2.1)
        var ttl = TimeSpan.FromSeconds(seconds);
        return ttl < MaxCacheTtl ? ttl : MaxCacheTtl;
    }

    /// <summary>One query; NOERROR, NXDOMAIN and REFUSED are answers, anything else is a temporary error with its reason.</summary>
    private async Task<(DnsResponse? Response, string? Error)> QueryAsync(string name, DnsType type, CancellationToken ct)
    {
        var gen = generation?.Invoke();
        if (!ReferenceEquals(gen, Volatile.Read(ref cachedGeneration)))
        {
            cache.Clear(); // the zones were reloaded: nothing cached before may be served
            Volatile.Write(ref cachedGeneration, gen);
        }
        long now = Environment.TickCount64;
        if (cache.TryGetValue((name, type), out var hit) && hit.ExpiresAt > now) return (hit.Response, null);
        // RFC 3225 §3: the DO bit only when validating, so a lab without the switch asks exactly as before.
        var result = await transport.QueryAsync(name, type, tcp: false, dnssecOk: Validation is not null, ct).ConfigureAwait(false);
        if (result.Response is not { } response)
        {
            return (null, result.Error switch
            {
                DnsQueryError.BadName => $"{name} {type}: {result.Reason}",
                DnsQueryError.Malformed => $"{name} {type}: a bad answer from the lab DNS at {Server}: {result.Reason}",
                _ => $"{name} {type}: no answer from the lab DNS at {Server}: {result.Reason}",
            });
        }
        if (response.Rcode is DnsRcode.NoError or DnsRcode.NXDomain or DnsRcode.Refused)
        {
            if (CacheTtl(response) is { } ttl && ReferenceEquals(gen, Volatile.Read(ref cachedGeneration)))
            {
                if (cache.Count >= MaxCacheEntries) cache.Clear();
                cache[(name, type)] = new CachedAnswer(response, now + (long)ttl.TotalMilliseconds);
            }
            return (response, null);
        }
        return (null, $"{name} {type}: the lab DNS answered {response.Status}");
    }
}
