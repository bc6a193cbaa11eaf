using System.Buffers;
using System.Text;
using MailLab.Protocols.Pop3;
using MailLab.Server.Trace;

namespace MailLab.Server.Pop3;

// The TRANSACTION state (RFC 1939 §5, §7) and the UPDATE state (§6) over the login snapshot.
internal sealed partial class Pop3Session
{
    private const int BodyChunk = 64 * 1024;

    private bool Stat()
    {
        var (count, octets) = maildrop!.Stat();
        return Ok($"{count} {octets}"); // RFC 1939 §5: exactly "+OK nn mm"
    }

    private bool List(Pop3Command command) =>
        Listing(command, e => e.Message.Size.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private bool Uidl(Pop3Command command) => Listing(command, e => e.Message.UniqueId); // RFC 1939 §7

    // LIST and UIDL: one "n value" line for a number, else the scan listing of every undeleted message.
    private bool Listing(Pop3Command command, Func<MaildropEntry, string> value)
    {
        if (command.Number is { } n)
        {
            return maildrop!.Find(n) is { } e ? Ok($"{n} {value(e)}") : Error(Pop3Reply.Negative(maildrop.Missing(n)));
        }
        var (count, octets) = maildrop!.Stat();
        ReplyLines(Pop3Reply.Positive($"{count} messages ({octets} octets)"), [.. maildrop.Visible.Select(e => $"{e.Number} {value(e)}")]);
        return true;
    }

    private async Task<bool> RetrAsync(Pop3Command command)
    {
        if (maildrop!.Find(command.Number!.Value) is not { } e)
        {
            return Error(Pop3Reply.Negative(maildrop.Missing(command.Number.Value)));
        }
        if (!await SendMessageAsync(e, null, Pop3Reply.Positive($"{e.Message.Size} octets")))
        {
            return false;
        }
        e.Retrieved = true;
        return true;
    }

    private async Task<bool> TopAsync(Pop3Command command)
    {
        if (maildrop!.Find(command.Number!.Value) is not { } e)
        {
            return Error(Pop3Reply.Negative(maildrop.Missing(command.Number.Value)));
        }
        return await SendMessageAsync(e, command.Lines, Pop3Reply.Positive($"top of message {e.Number} follows"));
    }

    /// <summary>RETR or TOP: the stored bytes, dot-stuffed, streamed in chunks; the trace gets a summary.</summary>
    private async Task<bool> SendMessageAsync(MaildropEntry e, int? lines, Pop3Reply status)
    {
        await using var file = await Store.OpenReadAsync(e.Message, connection.CommandToken);
        if (file is null)
        {
            // Expunged by IMAP since the snapshot: the number stays, the content is gone.
            return Error(Pop3Reply.Negative($"message {e.Number} is no longer in the maildrop", Pop3RespCode.SysPerm));
        }
        Encoding.ASCII.GetBytes(status.Render(), connection.Output);
        var stuffer = new Pop3DotStuffer(lines);
        var buffer = ArrayPool<byte>.Shared.Rent(BodyChunk);
        try
        {
            int n;
            while (!stuffer.IsComplete && (n = await file.ReadAsync(buffer.AsMemory(0, BodyChunk), connection.CommandToken)) > 0)
            {
                stuffer.Write(buffer.AsSpan(0, n), connection.Output);
                if (connection.Output.WrittenCount >= BodyChunk)
                {
                    await connection.SendAsync(); // more of the message follows: the buffer is kept
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        stuffer.Finish(connection.Output);
        var what = lines is null ? "message" : $"header and {lines} body lines";
        trace.Emit(TraceKind.ReplySent, $"S: {status.Render().TrimEnd()} [{what}: {stuffer.MessageOctets} octets, not logged]",
            ("Status", status.Status), ("RespCode", null), ("ReplyText", status.Text), ("BodyOctets", stuffer.MessageOctets));
        trace.Emit(TraceKind.MailboxAccess, $"{user!.Address} {(lines is null ? "retrieved" : "read the top of")} message {e.Number} (UIDL {e.Message.UniqueId}, {stuffer.MessageOctets} octets)",
            ("User", user.Address), ("Folder", "INBOX"), ("Action", lines is null ? "retrieve" : "top"),
            ("Number", e.Number), ("UniqueId", e.Message.UniqueId), ("Octets", stuffer.MessageOctets));
        return true;
    }

    private bool Dele(Pop3Command command)
    {
        if (maildrop!.Find(command.Number!.Value) is not { } e)
        {
            return Error(Pop3Reply.Negative(maildrop.Missing(command.Number.Value)));
        }
        e.Deleted = true;
        trace.Emit(TraceKind.MailboxAccess, $"{user!.Address} marked message {e.Number} for deletion (removed only at QUIT)",
            ("User", user.Address), ("Folder", "INBOX"), ("Action", "mark-deleted"), ("Number", e.Number), ("UniqueId", e.Message.UniqueId));
        return Ok($"message {e.Number} deleted");
    }

    private bool Rset()
    {
        int unmarked = maildrop!.Reset();
        var (count, octets) = maildrop.Stat();
        trace.Emit(TraceKind.MailboxAccess, $"{user!.Address} RSET: {unmarked} deletion marks removed",
            ("User", user.Address), ("Folder", "INBOX"), ("Action", "reset"), ("Unmarked", unmarked));
        return Ok($"maildrop has {count} messages ({octets} octets)");
    }

    private async Task<bool> QuitAsync()
    {
        if (state != Pop3State.Transaction)
        {
            Close(Pop3Reply.Positive($"{Host} POP3 server signing off"), "QUIT");
            return true;
        }
        // RFC 1939 §6: the UPDATE state. Only now are the marked messages removed.
        var doomed = maildrop!.All.Where(e => e.Deleted).Select(e => e.Message).ToList();
        var failed = await MaildropUpdate.ApplyAsync(Store, lockedMaildrop!, user!.Address, doomed, connection.CommandToken);
        foreach (var m in doomed.Where(m => !failed.Contains(m)))
        {
            trace.Emit(TraceKind.MailboxAccess, $"{user.Address}: message UIDL {m.UniqueId} deleted",
                ("User", user.Address), ("Folder", "INBOX"), ("Action", "delete"), ("UniqueId", m.UniqueId), ("Octets", m.Size));
        }
        var left = maildrop.All.Count - doomed.Count + failed.Count;
        if (failed.Count > 0)
        {
            // RFC 1939 §6: "-ERR some deleted messages not removed".
            Close(Pop3Reply.Negative($"some deleted messages not removed ({failed.Count} of {doomed.Count})", Pop3RespCode.SysTemp), "QUIT (update failed)");
            return false;
        }
        Close(Pop3Reply.Positive($"{Host} POP3 server signing off ({doomed.Count} messages deleted, {left} left)"), "QUIT");
        return true;
    }
}
