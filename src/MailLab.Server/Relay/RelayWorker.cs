using System.Buffers;
using MailLab.Server.Delivery;
using MailLab.Server.Lab;
using MailLab.Server.Sites;
using MailLab.Server.Trace;
using MimeKit;

namespace MailLab.Server.Relay;

/// <summary>
/// The lab's queue runner: keeps every queue entry in memory, tries the due ones (new entries at
/// once, deferred ones at their next attempt time), records each recipient's outcome durably,
/// bounces failures to local senders and removes finished entries. Polls once a second for the
/// <c>.flush</c> request file that <c>maillab queue flush</c> creates.
/// </summary>
internal sealed partial class RelayWorker : IAsyncDisposable
{
    private readonly RelayQueue queue;
    private readonly IReadOnlyList<LabSite> sites;
    private readonly RelayClient client;
    private readonly RelaySettings settings;
    private readonly Tracer tracer;
    private readonly Dictionary<string, QueueEntry> entries = new();
    private readonly HashSet<string> inFlight = [];
    private readonly List<Task> running = [];
    private readonly Lock gate = new();
    private readonly SemaphoreSlim wake = new(0);
    private readonly CancellationTokenSource stop = new();
    private Task? loop;

    /// <summary>Creates a worker over <paramref name="queue"/> for the lab's running sites.</summary>
    public RelayWorker(RelayQueue queue, IReadOnlyList<LabSite> sites, RelayClient client, RelaySettings settings, Tracer tracer)
    {
        this.queue = queue;
        this.sites = sites;
        this.client = client;
        this.settings = settings;
        this.tracer = tracer;
        queue.Committed += Add;
    }

    /// <summary>How often the worker looks for due entries and the flush file.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A snapshot of the entries still in the queue.</summary>
    public IReadOnlyList<QueueEntry> Entries
    {
        get { lock (gate) { return entries.Values.ToList(); } }
    }

    /// <summary>Loads every entry on disk (resuming after a restart) and starts the loop.</summary>
    public void Start()
    {
        var errors = new List<string>();
        var cleaned = queue.CleanTemporary();
        var loaded = queue.LoadAll(errors);
        lock (gate)
        {
            foreach (var e in loaded) entries[e.Id] = e;
        }
        tracer.ForLab(LabOrigin.Host, "lab", TraceRole.QUEUE).Emit(TraceKind.QueueLoaded,
            $"queue {queue.Directory}: {loaded.Count} entries resumed{(errors.Count > 0 ? $", {errors.Count} unreadable" : "")}",
            ("Directory", queue.Directory), ("Entries", loaded.Count), ("Errors", errors.ToArray()), ("TemporaryRemoved", cleaned));
        loop = Task.Run(() => RunAsync(stop.Token));
    }

    /// <summary>Makes every deferred recipient due now and wakes the worker (what <c>queue flush</c> asks for).</summary>
    public void Flush()
    {
        var now = DateTimeOffset.UtcNow;
        lock (gate)
        {
            foreach (var r in entries.Values.SelectMany(e => e.Recipients).Where(r => r.State == RecipientState.Deferred))
            {
                r.NextAttempt = now;
            }
        }
        wake.Release();
    }

    private void Add(QueueEntry entry)
    {
        lock (gate) { entries[entry.Id] = entry; }
        wake.Release();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (queue.TakeFlushRequest())
                {
                    tracer.ForLab(LabOrigin.Relay, "lab", TraceRole.QUEUE).Emit(TraceKind.QueueFlushRequested,
                        "flush requested: retrying every deferred recipient now", ("Source", RelayQueue.FlushFile));
                    Flush();
                }
                StartDue(ct);
                await wake.WaitAsync(PollInterval, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (IOException ex)
            {
                tracer.ForLab(LabOrigin.Relay, "lab", TraceRole.QUEUE).Emit(TraceKind.InternalError, $"queue worker: {ex.Message}",
                    ("Reason", ex.Message));
                // Not Task.Delay(..., ct): a stop during this pause must end the loop, not fault it.
                await Task.WhenAny(Task.Delay(PollInterval, ct)).ConfigureAwait(false);
            }
        }
    }

    private void StartDue(CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        lock (gate)
        {
            running.RemoveAll(t => t.IsCompleted);
            foreach (var e in entries.Values)
            {
                var due = e.NextDue;
                if (inFlight.Contains(e.Id) || (due is not null && due > now)) continue;
                inFlight.Add(e.Id);
                running.Add(Task.Run(() => ProcessGuardedAsync(e, ct)));
            }
        }
    }

    private async Task ProcessGuardedAsync(QueueEntry entry, CancellationToken ct)
    {
        try
        {
            await ProcessAsync(entry, ct).ConfigureAwait(false);
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            // Stopping: an attempt cut short at any point (connect, TLS handshake - MailKit then throws
            // SslHandshakeException around the cancellation -, any command, after the data) leaves the
            // entry as last saved, its recipients still pending; it resumes at the next start. A message
            // the peer may have taken without our seeing the 250 can arrive twice: RFC 5321 §6.1 prefers
            // a duplicate to a loss.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or Store.StoreException)
        {
            tracer.ForLab(LabOrigin.Relay, entry.Site, TraceRole.QUEUE).WithMessage(entry.Id).Emit(TraceKind.InternalError, $"queue entry {entry.Id}: {ex.Message}",
                ("Reason", ex.Message));
        }
        catch (Exception ex)
        {
            // A bug must cost one attempt (the entry stays queued and is retried), never the worker or the lab's stop.
            tracer.ForLab(LabOrigin.Relay, entry.Site, TraceRole.QUEUE).WithMessage(entry.Id).Emit(TraceKind.InternalError,
                $"queue entry {entry.Id}: internal error {ex.GetType().Name}: {ex.Message}",
                ("Reason", ex.Message), ("Error", ex.ToString()));
        }
        finally
        {
            lock (gate) { inFlight.Remove(entry.Id); }
        }
    }

    private async Task ProcessAsync(QueueEntry entry, CancellationToken ct)
    {
        var site = sites.FirstOrDefault(s => s.Name.Equals(entry.Site, StringComparison.OrdinalIgnoreCase)) ?? sites[0];
        var trace = tracer.ForLab(LabOrigin.Relay, site.Name, TraceRole.QUEUE).WithMessage(entry.Id);
        var now = DateTimeOffset.UtcNow;
        List<QueueRecipient> due;
        lock (gate)
        {
            due = entry.Recipients.Where(r => r.State == RecipientState.Scheduled
                || (r.State == RecipientState.Deferred && (r.NextAttempt ?? now) <= now)).ToList();
        }
        foreach (var group in due.GroupBy(r => LabNames.DomainOf(r.Address)))
        {
            var results = await client.DeliverAsync(site, entry, group.Key, group.Select(r => r.Address).ToList(),
                queue.MessagePath(entry.Id), ct).ConfigureAwait(false);
            var at = DateTimeOffset.UtcNow;
            lock (gate)
            {
                foreach (var result in results)
                {
                    var r = group.First(x => x.Address.Equals(result.Address, StringComparison.OrdinalIgnoreCase));
                    RetrySchedule.Apply(r, result, entry, settings, at);
                }
            }
            // Saved before it is traced: a RelayOutcome event always describes what is on disk.
            lock (gate) { queue.Save(entry); }
            foreach (var r in group) EmitOutcome(trace, r);
        }
        if (!entry.HasPending)
        {
            await FinishAsync(site, entry, trace, ct).ConfigureAwait(false);
        }
    }

    private static void EmitOutcome(TraceContext trace, QueueRecipient r)
    {
        var state = r.State.ToString().ToLowerInvariant();
        var next = r.State == RecipientState.Deferred ? $", next attempt {r.NextAttempt:HH:mm:ss} UTC" : "";
        trace.Emit(TraceKind.RelayOutcome, $"<{r.Address}>: {state} after {r.Attempts} attempt(s): {r.Reply}{next}",
            ("Recipient", r.Address), ("State", state), ("Reply", r.Reply), ("Status", r.Status), ("Reason", r.Reason),
            ("RemoteMta", r.RemoteMta), ("Attempts", r.Attempts), ("NextAttempt", r.NextAttempt?.ToString("O")),
            ("RemoteId", r.State == RecipientState.Delivered ? RemoteQueueId(r.Reply) : null));
    }

    /// <summary>
    /// The queue id the next hop named in its <c>250 ... queued as &lt;id&gt;</c> reply (every MailLab MTA says it,
    /// as Postfix does; RFC 5321 §4.2 leaves the text free), so the journey can follow the message to that hop.
    /// </summary>
    internal static string? RemoteQueueId(string? reply) =>
        reply is not null && QueuedAs().Match(reply) is { Success: true } m ? m.Groups[1].Value : null;

    [System.Text.RegularExpressions.GeneratedRegex(@"\bqueued as ([0-9A-Z]{12})\b", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex QueuedAs();

    private async Task FinishAsync(LabSite site, QueueEntry entry, TraceContext trace, CancellationToken ct)
    {
        var failed = entry.Recipients.Where(r => r.State == RecipientState.Failed).ToList();
        if (failed.Count > 0 && !entry.DsnSent)
        {
            await BounceAsync(site, entry, failed, trace.AsLab(LabOrigin.Dsn), ct).ConfigureAwait(false);
            entry.DsnSent = true;
            queue.Save(entry);
        }
        queue.Remove(entry.Id);
        lock (gate) { entries.Remove(entry.Id); }
        trace.Emit(TraceKind.QueueEntryRemoved,
            $"queue entry {entry.Id} done: {entry.Recipients.Count(r => r.State == RecipientState.Delivered)} delivered, {failed.Count} failed",
            ("Delivered", entry.Recipients.Where(r => r.State == RecipientState.Delivered).Select(r => r.Address).ToArray()),
            ("Failed", failed.Select(r => r.Address).ToArray()));
    }

    private async Task BounceAsync(LabSite site, QueueEntry entry, List<QueueRecipient> failed, TraceContext trace, CancellationToken ct)
    {
        var addresses = failed.Select(r => r.Address).ToArray();
        if (entry.MailFrom.Length == 0)
        {
            // RFC 5321 §4.5.5 / RFC 3464 §3: a message with the null sender is never bounced (no loops).
            trace.Emit(TraceKind.DsnSuppressed, "no bounce: the envelope sender is <> (a bounce is never bounced)",
                ("Reason", "null sender"), ("Recipients", addresses));
            return;
        }
        if (!site.HasMailbox(entry.MailFrom))
        {
            trace.Emit(TraceKind.DsnSuppressed, $"no bounce: sender <{entry.MailFrom}> has no mailbox at {site.Name}",
                ("Reason", "sender not local"), ("Recipients", addresses));
            return;
        }
        var headers = DsnBuilder.ReadHeaderSection(queue.MessagePath(entry.Id));
        var dsn = DsnBuilder.Build(entry, failed, site.HostName, LabNames.DomainOf(entry.MailFrom), headers, DateTimeOffset.Now);
        var id = QueueId.New();
        using var bytes = new MemoryStream();
        await dsn.WriteToAsync(WireFormat.Options, bytes, ct).ConfigureAwait(false);
        await using var spool = new MessageSpool(site.Mda.SpoolDirectory);
        spool.Write(bytes.ToArray());
        var owner = site.FindUser(entry.MailFrom)?.Address ?? entry.MailFrom;
        await site.Mda.DeliverAsync(new AcceptedMessage(id, "", "", spool), [owner], "INBOX", trace.WithMessage(id), ct).ConfigureAwait(false);
        trace.Emit(TraceKind.DsnSent, $"bounce {id} to <{owner}> for {string.Join(", ", addresses.Select(a => $"<{a}>"))}",
            ("Dsn", id), ("To", owner), ("Recipients", addresses), ("Statuses", failed.Select(r => r.Status ?? "").ToArray()));
    }

    /// <summary>
    /// Stops the loop and waits for attempts in progress to end (their entries stay queued). Never
    /// throws: whatever an attempt was doing when it was cut, stopping the lab must succeed.
    /// </summary>
    public async Task StopAsync()
    {
        queue.Committed -= Add;
        if (!stop.IsCancellationRequested) await stop.CancelAsync().ConfigureAwait(false);
        await Quietly(loop ?? Task.CompletedTask).ConfigureAwait(false); // the loop starts no attempt after this
        Task[] pending;
        lock (gate) { pending = running.ToArray(); }
        await Quietly(Task.WhenAll(pending)).ConfigureAwait(false);
    }

    // ProcessGuardedAsync and RunAsync catch everything; this is the last line, for the faults of a future bug.
    private async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            foreach (var ex in task.Exception?.InnerExceptions ?? [])
            {
                tracer.ForLab(LabOrigin.Relay, "lab", TraceRole.QUEUE).Emit(TraceKind.InternalError, $"queue worker stopped with {ex.GetType().Name}: {ex.Message}",
                    ("Reason", ex.Message), ("Error", ex.ToString()));
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        stop.Dispose();
        wake.Dispose();
    }
}
