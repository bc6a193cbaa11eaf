using MailLab.Protocols.Dns;
using MailLab.Server.Trace;

namespace MailLab.Server.Dns;

/// <summary>
/// The zone files of a directory (<c>*.zone</c>, one zone each, the file name is the starting
/// $ORIGIN) and the zones they give. Polls modification times every <see cref="PollInterval"/>:
/// an edit is live on the next poll; a broken edit is traced as ZoneReloadFailed with file, line and
/// column once it is still broken one poll later (an editor may be caught mid-save), and the last
/// good version of that zone stays served.
/// </summary>
internal sealed class ZoneStore : IAsyncDisposable
{
    /// <summary>How often the directory is checked for edits.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private readonly Func<string, string> siteOf;
    private readonly Tracer tracer;
    private readonly Dictionary<string, (ZoneFileKind, long, DateTime, ulong, ulong, uint)> seen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Zone> good = new(StringComparer.Ordinal); // by file path
    private readonly Dictionary<string, (string? Origin, List<ZoneError> Errors)> pendingFailures = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> readProblems = new(StringComparer.Ordinal); // last unreadable-file problem said, by path
    private readonly CancellationTokenSource stop = new();
    private readonly object gate = new();
    private Task? poller;
    private int disposed;
    private volatile ZoneSet current = ZoneSet.Empty;

    /// <param name="directory">Where the zone files are.</param>
    /// <param name="siteOf">The lab site a zone origin belongs to ("lab" for none), for the trace.</param>
    /// <param name="tracer">Where ZoneLoaded and ZoneReloadFailed go.</param>
    public ZoneStore(string directory, Func<string, string> siteOf, Tracer tracer)
    {
        Directory = Path.GetFullPath(directory);
        this.siteOf = siteOf;
        this.tracer = tracer;
    }

    /// <summary>The zone directory.</summary>
    public string Directory { get; }

    /// <summary>Signs the zones after each change and when its state asks (DNSSEC); null serves them as loaded.</summary>
    public ZoneSigner? Signer { get; init; }

    /// <summary>The zones served now.</summary>
    public ZoneSet Current => current;

    /// <summary>
    /// The largest zone file read (1 MiB). The shipped zones are a few KiB, a DKIM key adds about
    /// half a KiB; anything bigger is refused unread.
    /// </summary>
    public const long MaxZoneFileBytes = 1024 * 1024;

    /// <summary>The most errors one ZoneReloadFailed event lists (the text says how many more there were).</summary>
    public const int MaxReportedErrors = 10;

    /// <summary>
    /// Reads every changed, new or deleted zone file now (the poller calls this). Only regular files
    /// are read: a symbolic link, a FIFO, a device or a file with several hard links in the directory
    /// is reported (once per change) and never opened, so neither a link to a secret outside the
    /// directory nor a FIFO that would block the open can reach the trace or stop the reload.
    /// </summary>
    public void Refresh()
    {
        lock (gate)
        {
            var files = System.IO.Directory.Exists(Directory)
                ? System.IO.Directory.GetFiles(Directory, "*.zone").Order(StringComparer.Ordinal).ToList()
                : [];
            var status = new Dictionary<string, ZoneFileStatus>(StringComparer.Ordinal);
            var unknown = new HashSet<string>(StringComparer.Ordinal);
            foreach (string file in files)
            {
                try
                {
                    if (ZoneFileAccess.Status(file) is { } st) status[file] = st;
                }
                catch (IOException)
                {
                    unknown.Add(file); // cannot stat it now: leave it as it was until the next poll
                }
            }
            bool changed = false;
            foreach (string gone in readProblems.Keys.Except(status.Keys).Except(unknown).ToList()) readProblems.Remove(gone);
            foreach (string gone in seen.Keys.Except(status.Keys).Except(unknown).ToList())
            {
                seen.Remove(gone);
                pendingFailures.Remove(gone);
                if (good.Remove(gone, out var old))
                {
                    changed = true;
                    Trace(old.Site, TraceKind.ZoneLoaded, $"zone {DnsNames.Absolute(old.Origin)} removed: {ZoneText.Escape(Path.GetFileName(gone))} was deleted",
                        ("File", gone), ("Zone", old.Origin), ("Records", 0), ("Removed", true));
                }
            }
            foreach (var (file, st) in status)
            {
                if (seen.TryGetValue(file, out var before) && before == st.Stamp)
                {
                    // Still broken one poll later: not an editor caught mid-save, so report it now.
                    if (pendingFailures.Remove(file, out var failure)) Failed(file, failure.Origin, failure.Errors);
                    continue;
                }
                seen[file] = st.Stamp;
                pendingFailures.Remove(file);
                if (Refusal(st) is { } refusal)
                {
                    // Reported at once, and once: the file is not read, so there is no half-saved state to wait out.
                    Failed(file, null, [new ZoneError(ZoneText.Escape(Path.GetFileName(file)), 0, 0, refusal)]);
                    continue;
                }
                changed |= Load(file, st);
            }
            if (changed || Signer?.NeedsResign(DateTimeOffset.UtcNow) == true)
            {
                var set = new ZoneSet(good.Values);
                current = Signer is null ? set : Signer.Sign(set, DateTimeOffset.UtcNow);
            }
            // ZoneLoaded says the zone is served: only now, after the (signed) set is swapped in.
            foreach (var loaded in loadedEvents) loaded();
            loadedEvents.Clear();
        }
    }

    private readonly List<Action> loadedEvents = [];

    /// <summary>Why a directory entry is not read, or null for a regular file of its own within the size cap.</summary>
    private static string? Refusal(ZoneFileStatus st)
    {
        const string rule = "zone files must be regular files in the zones directory, so it is not read";
        return st.Kind switch
        {
            ZoneFileKind.Regular when st.Links > 1 => $"it has {st.Links} hard links; {rule}",
            ZoneFileKind.Regular when st.Size > MaxZoneFileBytes => $"it is larger than {MaxZoneFileBytes / (1024 * 1024)} MiB ({st.Size} octets); it is not read",
            ZoneFileKind.Regular => null,
            ZoneFileKind.SymbolicLink => $"not a regular file (a symbolic link); {rule}",
            ZoneFileKind.Fifo => $"not a regular file (a FIFO); {rule}",
            ZoneFileKind.Directory => $"not a regular file (a directory); {rule}",
            _ => $"not a regular file (a device or socket); {rule}",
        };
    }

    private bool Load(string file, ZoneFileStatus st)
    {
        string name = ZoneText.Escape(Path.GetFileName(file));
        string text;
        try
        {
            byte[]? bytes = ZoneFileAccess.ReadRegular(file, st, MaxZoneFileBytes, out string? problem);
            if (bytes is null)
            {
                seen.Remove(file); // look again on the next poll, but say the same thing only once
                if (readProblems.GetValueOrDefault(file) != problem) Failed(file, null, [new ZoneError(name, 0, 0, problem!)]);
                readProblems[file] = problem!;
                return false;
            }
            readProblems.Remove(file);
            text = System.Text.Encoding.UTF8.GetString(bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            seen.Remove(file); // try again on the next poll
            string problem = $"cannot read the file: {ZoneText.Excerpt(ex.Message)}";
            if (readProblems.GetValueOrDefault(file) != problem) Failed(file, null, [new ZoneError(name, 0, 0, problem)]);
            readProblems[file] = problem;
            return false;
        }
        var parsed = CheckLocked(file, text);
        if (!parsed.Ok)
        {
            pendingFailures[file] = (parsed.Origin, parsed.Errors.ToList());
            return false;
        }
        var zone = Zone.FromParse(parsed, siteOf(parsed.Origin!), file);
        good[file] = zone;
        var soa = (SoaData)zone.Soa.Data;
        Trace(zone.Site, TraceKind.ZoneLoaded, $"zone {DnsNames.Absolute(zone.Origin)} loaded from {name}: {zone.Records.Count} records, serial {soa.Serial}",
            ("File", file), ("Zone", zone.Origin), ("Records", zone.Records.Count), ("Serial", soa.Serial));
        return true;
    }

    /// <summary>
    /// What a reload would say of <paramref name="text"/> saved as <paramref name="file"/>: the zone-file parser's
    /// errors, or a clash with a zone another file already serves. The dashboard's zone editor checks with this,
    /// so its answer is the reload's.
    /// </summary>
    public ZoneParseResult Check(string file, string text)
    {
        lock (gate) return CheckLocked(file, text);
    }

    private ZoneParseResult CheckLocked(string file, string text)
    {
        string name = ZoneText.Escape(Path.GetFileName(file));
        if (text.StartsWith('\uFEFF')) text = text[1..]; // a byte order mark some editors write
        var parsed = ZoneFileParser.Parse(text, name, Path.GetFileName(file)[..^".zone".Length]);
        if (parsed.Ok && good.FirstOrDefault(g => g.Key != file && g.Value.Origin == parsed.Origin) is { Value: { } clash })
        {
            return parsed with { Errors = [.. parsed.Errors, new ZoneError(name, 1, 1, $"zone {DnsNames.Absolute(parsed.Origin!)} is already served from {Path.GetFileName(clash.File)}")] };
        }
        return parsed;
    }

    /// <summary>
    /// Replaces <paramref name="file"/> (a zone file of this store) with <paramref name="text"/> when
    /// <see cref="Check"/> finds no error, atomically (a crash leaves the old or the new file), then reloads at once:
    /// the ZoneLoaded event follows as for an edit saved by hand. Nothing is written when the check fails.
    /// </summary>
    /// <returns>The check, and the zone as loaded from the file now (null when the check failed).</returns>
    public (ZoneParseResult Check, Zone? Loaded) Save(string file, string text)
    {
        lock (gate)
        {
            var check = CheckLocked(file, text);
            if (!check.Ok) return (check, null);
            WriteAtomic(file, text);
            Refresh();
            return (check, good.GetValueOrDefault(file));
        }
    }

    // A fresh temporary name opened with O_EXCL (FileMode.CreateNew), so a link planted in the students' directory
    // is never written through; it does not end in .zone, so the poller never reads it half-written.
    private static void WriteAtomic(string file, string text)
    {
        string tmp = Path.Combine(Path.GetDirectoryName(file)!, $".{Path.GetFileName(file)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                fs.Write(System.Text.Encoding.UTF8.GetBytes(text));
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, file, overwrite: true); // rename(2) replaces the name, never follows a link there
            Store.DurableFile.FsyncDirectory(Path.GetDirectoryName(file)!);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>The zones as read from their files (unsigned: the signer's records are only in <see cref="Current"/>).</summary>
    public IReadOnlyList<Zone> Loaded()
    {
        lock (gate) return good.Values.ToList();
    }

    private void Failed(string file, string? origin, IReadOnlyList<ZoneError> errors)
    {
        var first = errors[0];
        bool kept = good.TryGetValue(file, out var last);
        string site = last?.Site ?? (origin is null ? "lab" : siteOf(origin));
        string keep = kept ? $"; the last good zone {DnsNames.Absolute(last!.Origin)} stays served" : "; the zone is not served";
        Trace(site, TraceKind.ZoneReloadFailed, $"{first}{(errors.Count > 1 ? $" (and {errors.Count - 1} more)" : "")}{keep}",
            ("File", file), ("Line", first.Line), ("Column", first.Column), ("Problem", first.Problem),
            ("Errors", errors.Take(MaxReportedErrors).Select(e => e.ToString()).ToList()), ("KeptLastGood", kept));
    }

    private void Trace(string site, TraceKind kind, string text, params (string, object?)[] fields)
    {
        if (kind == TraceKind.ZoneLoaded) loadedEvents.Add(() => tracer.ForLab(LabOrigin.Host, site, TraceRole.DNS).Emit(kind, text, fields));
        else tracer.ForLab(LabOrigin.Host, site, TraceRole.DNS).Emit(kind, text, fields);
    }

    /// <summary>Loads every zone and starts watching the directory.</summary>
    public void Start()
    {
        Refresh();
        poller ??= PollAsync();
    }

    private async Task PollAsync()
    {
        using var timer = new PeriodicTimer(PollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                try
                {
                    Refresh();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // The directory itself vanished or is unreadable for a moment; try again next tick.
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A bug (in signing, say) must not end the reloads: the last good set stays served.
                    lock (gate) loadedEvents.Clear();
                    tracer.ForLab(LabOrigin.Host, "lab", TraceRole.DNS).Emit(TraceKind.InternalError,
                        $"zone reload failed: {ex.GetType().Name}: {ex.Message}; the zones served stay as they were",
                        ("Reason", ex.Message), ("Error", ex.ToString()));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1) return;
        await stop.CancelAsync();
        if (poller is not null) await poller;
        stop.Dispose();
    }
}
