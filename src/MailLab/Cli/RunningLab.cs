using System.Diagnostics;
using System.Text.Json;

namespace MailLab.Cli;

/// <summary>
/// The per-user record of the running lab, so that every command finds it without <c>--data</c> from
/// any directory: <c>$MAILLAB_STATE_DIR/current.json</c>, else <c>$XDG_STATE_HOME/maillab/current.json</c>,
/// else <c>~/.local/state/maillab/current.json</c>. <c>maillab up</c> writes it once its listeners are
/// bound and removes it when it stops; a record whose process is gone (kill -9, a crash, a reboot) is
/// stale and ignored. With several labs at once, the last one started is recorded.
/// </summary>
internal sealed record RunningLab(string DataDirectory, int Pid, string? LabFile, DateTimeOffset Started)
{
    /// <summary>The record's file name in <see cref="StateDirectory"/>.</summary>
    public const string FileName = "current.json";

    /// <summary>Where the record lives (see the type's summary).</summary>
    public static string StateDirectory
    {
        get
        {
            if (Environment.GetEnvironmentVariable("MAILLAB_STATE_DIR") is { Length: > 0 } own) return Path.GetFullPath(own);
            // XDG Base Directory: a relative XDG_STATE_HOME is invalid and must be ignored.
            if (Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg)) return Path.Combine(xdg, "maillab");
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state", "maillab");
        }
    }

    /// <summary>The record file.</summary>
    public static string RecordPath => Path.Combine(StateDirectory, FileName);

    /// <summary>The running lab, or null when none is recorded, the record is unreadable or its process is gone.</summary>
    public static RunningLab? Find()
    {
        try
        {
            var lab = JsonSerializer.Deserialize(File.ReadAllText(RecordPath), RunningLabJson.Default.RunningLab);
            return lab is { DataDirectory.Length: > 0 } && IsAlive(lab.Pid) ? lab : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Records this lab (written whole: readers never see half a file). Returns the error, or null.</summary>
    public string? Write()
    {
        try
        {
            // Only the user reads where their lab lives (XDG: state directories are the user's own).
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(StateDirectory);
            else Directory.CreateDirectory(StateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var tmp = RecordPath + $".{Pid}.tmp";
            File.WriteAllText(tmp, JsonSerializer.Serialize(this, RunningLabJson.Default.RunningLab));
            File.Move(tmp, RecordPath, overwrite: true);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ex.Message;
        }
    }

    /// <summary>Removes the record if it is this process's (a lab started later may have replaced it).</summary>
    public static void RemoveIfOwnedBy(int pid)
    {
        try
        {
            if (JsonSerializer.Deserialize(File.ReadAllText(RecordPath), RunningLabJson.Default.RunningLab)?.Pid == pid) File.Delete(RecordPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            // Nothing recorded, or not ours to remove.
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }
}

/// <summary>The record's JSON (source-generated, so a native AOT build reads and writes it too).</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(RunningLab))]
internal sealed partial class RunningLabJson : System.Text.Json.Serialization.JsonSerializerContext;
