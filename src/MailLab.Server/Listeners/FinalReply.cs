namespace MailLab.Server.Listeners;

/// <summary>
/// The last reply of a session that is closing (SMTP 421, POP3 -ERR, IMAP BYE on shutdown, timeout or
/// too many errors): sent with its own short limit, because the session's own deadline may be what ended it.
/// </summary>
internal static class FinalReply
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);

    /// <summary>Writes <paramref name="octets"/>; false when the client could not be reached in time.</summary>
    public static async Task<bool> TrySendAsync(Stream stream, ReadOnlyMemory<byte> octets)
    {
        try
        {
            using var cts = new CancellationTokenSource(Limit);
            await stream.WriteAsync(octets, cts.Token);
            await stream.FlushAsync(cts.Token);
            return true;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
    }
}
