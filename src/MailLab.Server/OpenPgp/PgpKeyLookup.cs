using System.Net;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace MailLab.Server.OpenPgp;

/// <summary>
/// OPENPGPKEY lookups (RFC 7929): the record data (a transferable public key) published for an address,
/// or null when there is none. The lab wires this to its DNS; without it the lookup says it is not available.
/// </summary>
public interface IOpenPgpKeyDns
{
    /// <summary>The OPENPGPKEY record data for <paramref name="address"/>, the name asked, and the answer as text; Data null when none.</summary>
    Task<(byte[]? Data, string Name, string Answer)> FindAsync(string address, CancellationToken ct);
}

/// <summary>Where a signer's key was found, the key, and every lookup made, in order.</summary>
/// <param name="Ring">The key ring holding the signing key; null when no source had it.</param>
/// <param name="Source"><c>local</c>, <c>keyserver</c>, <c>dns</c> or <c>none</c>.</param>
/// <param name="Steps">One sentence per source asked.</param>
public sealed record KeyLookupResult(PgpPublicKeyRing? Ring, string Source, IReadOnlyList<string> Steps);

/// <summary>
/// Finds a signer's public key, in the order the trace shows: the lab's local keyring, then the key server
/// over HKP (draft-shaw-openpgp-hkp: <c>GET /pks/lookup?op=get&amp;options=mr&amp;search=0x…</c>), then OPENPGPKEY
/// in DNS (RFC 7929) for the From address. A key server may answer anything: only a ring holding the asked key counts.
/// </summary>
public sealed class PgpKeyLookup(PgpKeyStore store, Func<Uri?> keyServer, IOpenPgpKeyDns? dns, HttpClient? http = null)
{
    /// <summary>The largest key-server answer read (a key with its certifications is a few KiB).</summary>
    public const int MaxAnswer = 1 << 20;

    /// <summary>How long the key server may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static readonly HttpClient Shared = new() { Timeout = Timeout };
    private readonly HttpClient client = http ?? Shared;

    /// <summary>The lab's key store (the local keyring).</summary>
    public PgpKeyStore Store => store;

    /// <summary>Finds the key with <paramref name="keyId"/> (its fingerprint when the signature names it), the sender being <paramref name="address"/>.</summary>
    public async Task<KeyLookupResult> FindAsync(long keyId, byte[]? fingerprint, string? address, CancellationToken ct)
    {
        var steps = new List<string>();
        var id = PgpText.KeyId(keyId);
        var keyring = store.Keyring();
        if (keyring.Find(keyId) is { } local)
        {
            steps.Add($"1. local keyring ({keyring.Count} keys in {Path.Combine(store.Root, "public")}): 0x{id} found in {local.Address}.asc");
            return new(local.Ring, "local", steps);
        }
        steps.Add($"1. local keyring ({keyring.Count} keys in {Path.Combine(store.Root, "public")}): no key 0x{id}");
        if (keyServer() is { } server)
        {
            var search = fingerprint is { Length: 20 } ? "0x" + Convert.ToHexString(fingerprint) : "0x" + id;
            var uri = new Uri(server, $"/pks/lookup?op=get&options=mr&search={search}");
            try
            {
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
                limit.CancelAfter(Timeout);
                using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, limit.Token);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    steps.Add($"2. key server: GET {uri} -> {(int)response.StatusCode} {response.ReasonPhrase}");
                }
                else if (await ReadLimitedAsync(response, limit.Token) is not { } body)
                {
                    steps.Add($"2. key server: GET {uri} -> 200, but the answer is larger than {MaxAnswer} octets: ignored");
                }
                else if (Holding(body, keyId) is { } ring)
                {
                    steps.Add($"2. key server: GET {uri} -> 200, key 0x{id} \"{WebOfTrust.UserIds(ring.GetPublicKey()).FirstOrDefault()}\" (anyone may upload any key: the key server vouches for nothing)");
                    return new(ring, "keyserver", steps);
                }
                else
                {
                    steps.Add($"2. key server: GET {uri} -> 200, but no key 0x{id} in the answer: ignored");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
            {
                steps.Add($"2. key server: GET {uri} failed: {(ex is OperationCanceledException ? $"no answer within {Timeout.TotalSeconds:0} s" : ex.Message)}");
            }
        }
        else
        {
            steps.Add("2. key server: none configured (the lab's HTTP service is not running here)");
        }
        if (dns is null || address is null)
        {
            steps.Add(address is null ? "3. OPENPGPKEY: no sender address to look up" : "3. OPENPGPKEY (RFC 7929): no DNS lookup wired in this lab process");
            return new(null, "none", steps);
        }
        try
        {
            var (data, name, answer) = await dns.FindAsync(address, ct);
            if (data is not null && Holding(data, keyId) is { } ring)
            {
                steps.Add($"3. OPENPGPKEY {name} -> key 0x{id}");
                return new(ring, "dns", steps);
            }
            steps.Add($"3. OPENPGPKEY {name} -> {answer}{(data is null ? "" : $": no key 0x{id} in it")}");
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            steps.Add($"3. OPENPGPKEY for {address} failed: {ex.Message}");
        }
        return new(null, "none", steps);
    }

    private static async Task<byte[]?> ReadLimitedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int n;
        while ((n = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + n > MaxAnswer) return null;
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    // The first ring in the data that holds the key; a malformed answer holds none.
    private static PgpPublicKeyRing? Holding(byte[] data, long keyId)
    {
        try
        {
            return PgpKeyStore.ReadPublicRings(data).FirstOrDefault(r => r.GetPublicKey(keyId) is not null);
        }
        catch (Exception ex) when (ex is PgpException or IOException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }
}
