using System.Net.Sockets;

namespace MailLab.Server.Listeners;

/// <summary>
/// How a listener is doing now, read from its own socket and loop: no connection is made, since a probe would be
/// a session in the trace and a row on the exercise grid.
/// </summary>
/// <param name="Status"><c>listening</c>, <c>stopped</c> (the lab stops), <c>not started</c>, or what is wrong.</param>
/// <param name="Sessions">Sessions running now, where the listener counts them.</param>
public sealed record ListenerHealth(string Status, int? Sessions = null)
{
    /// <summary>The status of a loop serving <paramref name="socket"/>; <paramref name="stopping"/> once the lab stops.</summary>
    internal static string Of(Task? loop, Socket? socket, bool stopping, bool stream = true) =>
        stopping ? "stopped"
        : loop is null ? "not started"
        : loop.IsCompleted ? (loop.IsFaulted ? "loop failed: " + loop.Exception!.GetBaseException().Message : "loop ended")
        : !IsOpen(socket, stream) ? "socket closed"
        : "listening";

    // SO_ACCEPTCONN: the kernel's own word that a stream socket is in the listen state; a datagram socket only needs to be bound.
    private static bool IsOpen(Socket? socket, bool stream)
    {
        try
        {
            return socket is not null && (stream
                ? socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection) is int on && on != 0
                : socket.LocalEndPoint is not null);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }
}
