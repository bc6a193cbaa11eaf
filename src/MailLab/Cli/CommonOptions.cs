using System.CommandLine;

namespace MailLab.Cli;

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    /// <summary>The data directory: --data, else $MAILLAB_DATA, else ./maillab-data.</summary>
    public static Option<DirectoryInfo?> Data() => new("--data")
    {
        Description = "Data directory (certificates, mail store, trace, listeners.json). Default: $MAILLAB_DATA or ./maillab-data",
    };

    public static string ResolveData(DirectoryInfo? given) =>
        Path.GetFullPath(given?.FullName ?? Environment.GetEnvironmentVariable("MAILLAB_DATA") ?? "maillab-data");
}
