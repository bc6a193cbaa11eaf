using System.CommandLine;

namespace MailLab.Cli;

/// <summary>Options several commands share, and how a command finds its data directory.</summary>
internal static class CommonOptions
{
    /// <summary>The data directory: --data, else $MAILLAB_DATA, else the running lab's, else ./maillab-data.</summary>
    public static Option<DirectoryInfo?> Data() => new("--data")
    {
        Description = "Data directory (certificates, mail store, trace, listeners.json). Default: $MAILLAB_DATA, else the running lab's, else ./maillab-data",
    };

    /// <summary>A data directory, where its name came from (for messages) and the running lab it belongs to, if found that way.</summary>
    internal sealed record DataDirectory(string Path, string Source, RunningLab? Running);

    /// <summary>
    /// The data directory a command uses: <c>--data</c>, else <c>$MAILLAB_DATA</c>, else (unless
    /// <paramref name="findRunning"/> is false, as for <c>up</c>) the running lab's from its per-user record
    /// (<see cref="RunningLab"/>), else <c>./maillab-data</c>.
    /// </summary>
    public static DataDirectory Locate(DirectoryInfo? given, bool findRunning = true)
    {
        if (given is not null) return new(Path.GetFullPath(given.FullName), "--data", null);
        if (Environment.GetEnvironmentVariable("MAILLAB_DATA") is { Length: > 0 } env) return new(Path.GetFullPath(env), "$MAILLAB_DATA", null);
        if (findRunning && RunningLab.Find() is { } running) return new(running.DataDirectory, $"the running lab's, pid {running.Pid}", running);
        return new(Path.GetFullPath("maillab-data"), "default", null);
    }

    /// <summary>The data directory (see <see cref="Locate"/>), for commands that may create it.</summary>
    public static string ResolveData(DirectoryInfo? given) => Locate(given).Path;

    /// <summary>
    /// The data directory of a command that only reads it; null, after a one-line error naming the
    /// directory and where its name came from, when it does not exist. Such a command never creates it.
    /// </summary>
    public static string? Existing(DirectoryInfo? given)
    {
        var d = Locate(given);
        if (Directory.Exists(d.Path)) return d.Path;
        Console.Error.WriteLine(d.Source == "default"
            ? $"maillab: no running lab (none recorded in {RunningLab.RecordPath}) and {d.Path} does not exist; start one with 'maillab up', or give --data DIR"
            : $"maillab: {d.Path} does not exist (the data directory, from {d.Source})");
        return null;
    }

    /// <summary>
    /// The lab file of the lab whose data directory is <paramref name="data"/>: <paramref name="given"/>,
    /// else the file the running lab was started with (null: the embedded default lab).
    /// </summary>
    public static string? LabFile(FileInfo? given, string data) =>
        given?.FullName ?? (RunningLab.Find() is { } r && string.Equals(r.DataDirectory, data, StringComparison.Ordinal) ? r.LabFile : null);
}
