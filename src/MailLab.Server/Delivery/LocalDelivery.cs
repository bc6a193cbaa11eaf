using System.Text;
using MailLab.Server.Store;
using MailLab.Server.Trace;

namespace MailLab.Server.Delivery;

/// <summary>A message accepted by an SMTP session and handed to the MDA.</summary>
/// <param name="QueueId">The id given in the 250 reply and the Received line.</param>
/// <param name="MailFrom">The envelope sender, written as Return-Path.</param>
/// <param name="TraceHeaders">Header lines this hop adds above the content (Received, and at the MSA any Message-ID/Date), CRLF-terminated.</param>
/// <param name="Content">The message as received.</param>
internal sealed record AcceptedMessage(string QueueId, string MailFrom, string TraceHeaders, MessageSpool Content);

/// <summary>Where one recipient's copy was stored.</summary>
internal sealed record DeliveryResult(string Recipient, StoredMessage Stored);

/// <summary>
/// The MDA (RFC 5598 §4.3.3): adds Return-Path and Delivered-To and stores one copy per local
/// recipient. Delivery is two-phase across all recipients: every copy is written and synced first,
/// then all are committed, so a failure before the commit leaves no partial message anywhere.
/// </summary>
internal sealed class LocalDelivery
{
    /// <summary>Creates an MDA over a message store; messages being received spill to <paramref name="spoolDirectory"/>.</summary>
    public LocalDelivery(MessageStore store, string spoolDirectory)
    {
        Store = store;
        SpoolDirectory = spoolDirectory;
    }

    /// <summary>Where large messages are spooled while they are received.</summary>
    public string SpoolDirectory { get; }

    /// <summary>The message store the MDA writes to.</summary>
    public MessageStore Store { get; }

    /// <summary>Delivers to every recipient's <paramref name="folder"/>; throws if nothing could be committed.</summary>
    public async Task<IReadOnlyList<DeliveryResult>> DeliverAsync(
        AcceptedMessage message, IReadOnlyList<string> recipients, string folder, TraceContext trace, CancellationToken ct)
    {
        var mda = trace.As(TraceRole.MDA).WithMessage(message.QueueId);
        var pending = new List<(string Rcpt, PendingMessage Message)>(recipients.Count);
        try
        {
            foreach (var rcpt in recipients)
            {
                var p = await Store.BeginAsync(rcpt, folder, ct).ConfigureAwait(false);
                pending.Add((rcpt, p));
                // RFC 5321 §4.4: the final delivery adds Return-Path with the envelope sender.
                var returnPath = $"Return-Path: <{message.MailFrom}>\r\n";
                var deliveredTo = $"Delivered-To: {rcpt}\r\n";
                var head = Encoding.UTF8.GetBytes(returnPath + deliveredTo + message.TraceHeaders);
                if (message.Content.TryGetMemory(out var body))
                {
                    // Into the page cache, synchronously: an async write of a local file is a thread-pool hop per
                    // block on Linux, which cost more than the write (issue 19); the fsync at commit is what waits.
                    p.Content.Write(head);
                    p.Content.Write(body.Span);
                }
                else
                {
                    await p.Content.WriteAsync(head, ct).ConfigureAwait(false);
                    await message.Content.CopyToAsync(p.Content, ct).ConfigureAwait(false);
                }
                if (recipients.Count > 1)
                {
                    // Phase 1 ends with every copy on disk, so a failure here leaves no recipient with
                    // a copy and the client's retry after 451 duplicates nothing.
                    await p.SyncAsync(ct).ConfigureAwait(false);
                }
            }

            var results = new List<DeliveryResult>(pending.Count);
            foreach (var (rcpt, p) in pending)
            {
                var stored = await p.CommitAsync(ct: ct).ConfigureAwait(false);
                results.Add(new DeliveryResult(rcpt, stored));
                mda.Emit(TraceKind.HeaderAdded, $"Return-Path: <{message.MailFrom}> (for {rcpt})",
                    ("Header", "Return-Path"), ("Value", $"<{message.MailFrom}>"), ("Recipient", rcpt));
                mda.Emit(TraceKind.HeaderAdded, $"Delivered-To: {rcpt}",
                    ("Header", "Delivered-To"), ("Value", rcpt), ("Recipient", rcpt));
                mda.Emit(TraceKind.LocalDelivery, $"delivered to {rcpt} {folder} uid {stored.Uid} ({stored.Size} octets)",
                    ("Recipient", rcpt), ("Folder", folder), ("Uid", stored.Uid), ("Size", stored.Size), ("Path", stored.Path));
            }
            pending.Clear();
            return results;
        }
        catch (Exception ex)
        {
            mda.Emit(TraceKind.DeliveryFailed, $"local delivery failed: {ex.Message}",
                ("Recipients", recipients.ToArray()), ("Reason", ex.Message));
            throw;
        }
        finally
        {
            foreach (var (_, p) in pending)
            {
                await p.AbortAsync().ConfigureAwait(false);
            }
        }
    }
}
