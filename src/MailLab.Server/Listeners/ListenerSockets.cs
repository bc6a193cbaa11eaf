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
}
