using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailLab.Server.Sites;

namespace MailLab.Server.Relay;

/// <summary>
/// Fetches <c>https://mta-sts.DOMAIN/.well-known/mta-sts.txt</c> (RFC 8461 §3.3) for one site's MTA: from the
/// site's address, with a timeout, at most 64 KiB, no redirects, 200 with text/plain only, and a certificate
/// that chains to the lab CA and names <c>mta-sts.DOMAIN</c>.
/// </summary>
/// <remarks>
/// Lab deviation from RFC 8461 §3.3 (port 443): the embedded lab cannot bind 443, so the connection goes to the
/// lab web's HTTPS listener (<c>web: https-port:</c>) whatever <c>mta-sts.DOMAIN</c>'s address and port; the
/// TLS name (SNI), the Host header and the certificate check are those of <c>mta-sts.DOMAIN</c>, as on the internet.
/// </remarks>
internal sealed class MtaStsFetcher
{
    /// <summary>RFC 8461 §3.3: a policy body is at most 64 KiB.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>How long a fetch may take in all (RFC 8461 §3.3: senders should use a timeout).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly Func<IPEndPoint?> endPoint;
    private readonly X509Certificate2 labCa;

    /// <summary>A fetcher that connects to <paramref name="endPoint"/>() (the lab web's HTTPS listener; null: none).</summary>
    public MtaStsFetcher(Func<IPEndPoint?> endPoint, X509Certificate2 labCa)
    {
        this.endPoint = endPoint;
        this.labCa = labCa;
    }

    /// <summary>The policy body of <paramref name="domain"/>, fetched from <paramref name="source"/>, or why not.</summary>
    public async Task<(string? Body, string? Error)> FetchAsync(IPAddress source, string domain, CancellationToken ct)
    {
        if (endPoint() is not { } target) return (null, "the lab has no HTTPS web listener");
        string host = "mta-sts." + domain.TrimEnd('.').ToLowerInvariant();
        string? certProblem = null;
        using var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // RFC 8461 §3.3: no redirects
            UseProxy = false,
            UseCookies = false,
            ConnectTimeout = Timeout,
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(source.AddressFamily == target.AddressFamily ? source : IPAddress.Any, 0));
                    // The web service marks requests over registered connections as the lab's work (Origin resolver).
                    var own = LabWebClients.Register((IPEndPoint)socket.LocalEndPoint!);
                    await socket.ConnectAsync(target, token).ConfigureAwait(false);
                    return new OwnedStream(socket, own);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, chain, _) =>
                {
                    using var copy = cert is null or X509Certificate2 ? null : X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
                    var leaf = cert as X509Certificate2 ?? copy;
                    if (leaf is null) { certProblem = "no certificate"; return false; }
                    var v = TlsCertificateCheck.Pkix(host, leaf, chain is null ? [] : chain.ChainPolicy.ExtraStore.Cast<X509Certificate2>().ToList(), labCa, DateTime.Now);
                    certProblem = v.Passed ? null : v.Detail;
                    return v.Passed;
                },
            },
        };
        using var http = new HttpClient(handler) { Timeout = Timeout, MaxResponseContentBufferSize = MaxBodyBytes };
        try
        {
            using var response = await http.GetAsync($"https://{host}/.well-known/mta-sts.txt", HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if ((int)response.StatusCode != 200) return (null, $"HTTP {(int)response.StatusCode} from https://{host}/ (RFC 8461 §3.3: only 200, no redirects)");
            if (response.Content.Headers.ContentType?.MediaType is not "text/plain")
            {
                return (null, $"media type {response.Content.Headers.ContentType?.MediaType ?? "none"}, not text/plain (RFC 8461 §3.2)");
            }
            await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var buffer = new byte[MaxBodyBytes + 1];
            int n = 0, read;
            while (n < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(n), ct).ConfigureAwait(false)) > 0) n += read;
            if (n > MaxBodyBytes) return (null, $"the policy is over {MaxBodyBytes} octets (RFC 8461 §3.3)");
            return (Encoding.UTF8.GetString(buffer, 0, n), null);
        }
        catch (HttpRequestException ex)
        {
            return (null, certProblem is not null ? $"certificate of {host}: {certProblem}" : ex.Message);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, $"timed out after {Timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>The connection's stream, which un-registers its end point when it closes.</summary>
    private sealed class OwnedStream(Socket socket, IDisposable own) : NetworkStream(socket, ownsSocket: true)
    {
        protected override void Dispose(bool disposing)
        {
            if (disposing) own.Dispose();
            base.Dispose(disposing);
        }
    }
}
