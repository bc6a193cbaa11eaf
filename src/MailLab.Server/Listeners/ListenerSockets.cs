using System.Net;
using System.Net.Sockets;

namespace MailLab.Server.Listeners;

/// <summary>Socket options and bind errors shared by every lab listener (SMTP and DNS).</summary>
internal static class ListenerSockets
{
    /// <summary>
    /// Plain SO_REUSEADDR (SOL_SOCKET=1, SO_REUSEADDR=2): a restarted lab rebinds while old
    /// connections sit in TIME_WAIT, yet a second live listener on the port still fails. .NET's
    /// ReuseAddress would add SO_REUSEPORT on Linux and let two labs share a port silently.
    /// </summary>
    public static void ReuseAddressOnly(Socket socket)
    {
        if (OperatingSystem.IsLinux())
        {
            socket.SetRawSocketOption(1, 2, BitConverter.GetBytes(1));
        }
    }

    /// <summary>The one-line bind error a user sees for <paramref name="ex"/>.</summary>
    public static ListenerBindException BindError(string site, string role, string endpoint, SocketException ex) =>
        new(site, role, endpoint, ex.SocketErrorCode switch
        {
            SocketError.AddressAlreadyInUse => "address already in use (another program holds the port)",
            SocketError.AddressNotAvailable => "address not available on this machine",
            SocketError.AccessDenied => "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)",
            _ => ex.Message,
        });

    /// <summary>
    /// A UDP socket and a listening TCP socket on one address and port (a DNS server's pair). With port 0 the
    /// UDP port is chosen first and TCP may find it taken, so a few ports are tried. Throws the last
    /// <see cref="SocketException"/> for the caller to turn into its own message.
    /// </summary>
    public static (Socket Udp, Socket Tcp, int Port) BindUdpAndTcp(IPAddress address, int port, int backlog)
    {
        for (int attempt = 0; ; attempt++)
        {
            var u = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            var t = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                // No SO_REUSEADDR on UDP: on Linux it lets any other process bind the same address and
                // port and take the queries. (TCP keeps it: there it only allows rebinding over TIME_WAIT.)
                u.Bind(new IPEndPoint(address, port));
                int bound = ((IPEndPoint)u.LocalEndPoint!).Port;
                ReuseAddressOnly(t);
                t.Bind(new IPEndPoint(address, bound));
                t.Listen(backlog);
                return (u, t, bound);
            }
            catch (SocketException ex) when (port == 0 && ex.SocketErrorCode == SocketError.AddressAlreadyInUse && attempt < 10)
            {
                u.Dispose();
                t.Dispose();
            }
            catch (SocketException)
            {
                u.Dispose();
                t.Dispose();
                throw;
            }
        }
    }
}
