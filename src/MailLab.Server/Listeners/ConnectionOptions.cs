namespace MailLab.Server.Listeners;

/// <summary>
/// How one protocol uses a <see cref="Connection"/>: what SessionOpened says about it, its timers, its
/// reader and its line framing. Where SMTP, POP3 and IMAP differ in the skeleton, the difference is a value here.
/// </summary>
internal sealed record ConnectionOptions
{
    /// <summary>The service in SessionOpened's text ("connection from ... to MSA ...").</summary>
    public required string Service { get; init; }

    /// <summary>SessionOpened's Profile field.</summary>
    public required string Profile { get; init; }

    /// <summary>TLS from the first octet (RFC 8314) rather than after STARTTLS/STLS.</summary>
    public required bool ImplicitTls { get; init; }

    /// <summary>SessionOpened fields of this protocol only, after the common ones (SMTP: LabRelay).</summary>
    public (string Name, object? Value)[] OpenedFields { get; init; } = [];

    /// <summary>How long a wait on the client (a line, or the reading of replies) may take: SMTP's command timeout, POP3's and IMAP's autologout.</summary>
    public required TimeSpan IdleTimeout { get; init; }

    /// <summary>A hard limit on the whole session, counted from the accept (SMTP's session-timeout); null for none.</summary>
    public TimeSpan? SessionDeadline { get; init; }

    /// <summary>The CRLF command-line limit in octets (SMTP, POP3); null when the protocol frames its own input (IMAP).</summary>
    public int? MaxLine { get; init; }

    /// <summary>The pipe's read size.</summary>
    public int ReaderBufferSize { get; init; } = 16 * 1024;

    /// <summary>Zero-byte reads: no buffer is rented while the client is silent (IMAP IDLE).</summary>
    public bool ZeroByteReads { get; init; }

    /// <summary>Whether the lab's shutdown also cancels a write of replies (POP3), not only the idle timer.</summary>
    public bool WritesStopOnShutdown { get; init; }
}

/// <summary>Why a session ended without the client or the protocol ending it.</summary>
internal enum SessionEnd
{
    /// <summary>The lab is shutting down.</summary>
    Shutdown,

    /// <summary>The client was silent (or did not read) for the idle timeout.</summary>
    IdleTimeout,

    /// <summary>The session deadline passed while waiting on the client.</summary>
    Deadline,
}

/// <summary>The protocol side of a <see cref="Connection"/>: what runs over it and how it says goodbye.</summary>
internal interface ISessionProtocol
{
    /// <summary>The greeting and the command loop, until the client quits or the protocol closes.</summary>
    Task ServeAsync();

    /// <summary>Queues the protocol's last reply for <paramref name="end"/> (if any) and sends it with <see cref="Connection.SendFinalAsync"/>.</summary>
    Task EndAsync(SessionEnd end);

    /// <summary>Runs once when the session is over, before SessionClosed; returns text for the end of its description.</summary>
    string OnClosed();
}
