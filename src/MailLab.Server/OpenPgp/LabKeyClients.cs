using System.Net;
using System.Net.Sockets;
using MailLab.Server.Dns;
using MailLab.Server.Sites;

namespace MailLab.Server.OpenPgp;

/// <summary>
/// How a site's MDA reaches the key sources outside its keyring, as a mail host would: HTTP to the key
/// server from the site's own address, with every connection registered (<see cref="LabWebClients"/>) so
/// the lab's HTTP service marks the lookup as the lab's; OPENPGPKEY through the site's resolver.
/// </summary>
internal static class LabKeyClients
{
    /// <summary>An HTTP client whose connections leave from <paramref name="source"/> and are registered while open.</summary>
    public static HttpClient Http(IPAddress source)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(20),
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(source.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                IDisposable? registration = null;
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    // Registered before the first byte, unregistered when the stream closes (OwnEndPoints' rule).
                    registration = LabWebClients.Register((IPEndPoint)socket.LocalEndPoint!);
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new RegisteredStream(socket, registration);
                }
                catch
                {
                    registration?.Dispose();
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { Timeout = PgpKeyLookup.Timeout };
    }

    /// <summary>OPENPGPKEY (RFC 7929) through a site's resolver, known once the lab DNS is bound.</summary>
    public sealed class KeyDns(Func<LabResolver?> resolver) : IOpenPgpKeyDns
    {
        /// <inheritdoc />
        public async Task<(byte[]? Data, string Name, string Answer)> FindAsync(string address, CancellationToken ct)
        {
            string name = OpenPgpKeyRecords.OwnerName(address);
            if (resolver() is not { } r) return (null, name, "no resolver");
            var found = await r.OpenPgpKeysAsync(address, ct);
            if (found.TempError is not null) return (null, name, found.TempError);
            if (found.Values.Count == 0) return (null, name, found.NxDomain ? "NXDOMAIN" : "no OPENPGPKEY record");
            // Several records: the lookup keeps the one holding the signer's key; one is what a lab user has.
            return (found.Values.SelectMany(k => k).ToArray(), name, $"{found.Values.Count} record(s)");
        }
    }

    private sealed class RegisteredStream(Socket socket, IDisposable registration) : NetworkStream(socket, ownsSocket: true)
    {
        protected override void Dispose(bool disposing)
        {
            if (disposing) registration.Dispose();
            base.Dispose(disposing);
        }
    }
}
