using MailLab.Server.Exercises;

namespace MailLab.Server.Dashboard;

/// <summary>
/// The exercise catalogue, read again when the directory changed: on request, at most once per
/// <see cref="Interval"/>, the names, sizes and modification times of the exercise folders' files are
/// compared with those of the last read (a few dozen stat calls, no reading); when they differ the whole
/// directory is read again. A broken objectives file is one of the catalogue's Errors, as at start, and
/// the other exercises stay. An instructor who edits or adds an exercise sees it without a restart.
/// </summary>
internal sealed class ExerciseCatalogWatch(string directory, Func<long> clock)
{
    /// <summary>The least time between two looks at the directory.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly Lock gate = new();
    private ExerciseCatalog? current;
    private string? stamp;
    private long lookedAt;

    /// <summary>The catalogue as of the last look; looks again when <see cref="Interval"/> has passed since.</summary>
    public ExerciseCatalog Current
    {
        get
        {
            lock (gate)
            {
                long now = clock();
                if (current is not null && now - lookedAt < Interval.TotalMilliseconds) return current;
                lookedAt = now;
                string seen = Stamp(directory);
                if (current is null || seen != stamp)
                {
                    current = ExerciseCatalog.Load(directory);
                    stamp = seen;
                }
                return current;
            }
        }
    }

    /// <summary>
    /// What the catalogue depends on, as one string: every folder and, in each, every file's name, size and
    /// modification time (one level down, as <see cref="ExerciseCatalog.Load"/> reads it). A folder that cannot be
    /// listed (removed while looked at) is part of the stamp too, so the next look that can list it reads again.
    /// </summary>
    internal static string Stamp(string directory)
    {
        var b = new System.Text.StringBuilder();
        try
        {
            var root = new DirectoryInfo(directory);
            if (!root.Exists) return "missing";
            foreach (var folder in root.GetDirectories().OrderBy(d => d.Name, StringComparer.Ordinal))
            {
                b.Append(folder.Name).Append('/').Append('\n');
                foreach (var file in folder.GetFiles().OrderBy(f => f.Name, StringComparer.Ordinal))
                {
                    b.Append(' ').Append(file.Name).Append(' ').Append(file.Length).Append(' ').Append(file.LastWriteTimeUtc.Ticks).Append('\n');
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            b.Append("unlistable: ").Append(ex.Message);
        }
        return b.ToString();
    }
}
