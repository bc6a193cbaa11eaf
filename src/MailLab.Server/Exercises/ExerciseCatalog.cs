using System.Globalization;
using MailLab.Server.Lab;

namespace MailLab.Server.Exercises;

/// <summary>
/// The exercises of a <c>lab-exercises</c> directory: one folder per exercise, each with a handout
/// (README.md) and an objectives file (objectives.yml).
/// </summary>
public sealed class ExerciseCatalog
{
    /// <summary>The directory name, in a checkout and next to the executable.</summary>
    public const string DirectoryName = "lab-exercises";

    private ExerciseCatalog(string directory, IReadOnlyList<Exercise> exercises, IReadOnlyList<string> errors)
    {
        Directory = directory;
        Exercises = exercises;
        Errors = errors;
    }

    /// <summary>Where the exercises were read from.</summary>
    public string Directory { get; }

    /// <summary>The valid exercises, by number.</summary>
    public IReadOnlyList<Exercise> Exercises { get; }

    /// <summary>One line per problem in an objectives file (file:line:column: field: problem).</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>The exercise with this number, or null.</summary>
    public Exercise? Find(int number) => Exercises.FirstOrDefault(e => e.Number == number);

    /// <summary>
    /// The exercises directory: <paramref name="given"/>, else <c>$MAILLAB_EXERCISES</c>, else
    /// <c>./lab-exercises</c> when it exists (a checkout), else the copy next to the executable.
    /// </summary>
    public static string Locate(string? given)
    {
        if (given is not null) return Path.GetFullPath(given);
        if (Environment.GetEnvironmentVariable("MAILLAB_EXERCISES") is { Length: > 0 } env) return Path.GetFullPath(env);
        string local = Path.GetFullPath(DirectoryName);
        return System.IO.Directory.Exists(local) ? local : Path.Combine(AppContext.BaseDirectory, DirectoryName);
    }

    /// <summary>Reads every exercise folder of <paramref name="directory"/>; invalid ones go to <see cref="Errors"/>.</summary>
    public static ExerciseCatalog Load(string directory)
    {
        var exercises = new List<Exercise>();
        var errors = new List<string>();
        if (!System.IO.Directory.Exists(directory))
        {
            errors.Add($"{directory}: no such directory (give --exercises DIR or set MAILLAB_EXERCISES)");
            return new ExerciseCatalog(directory, exercises, errors);
        }
        foreach (var dir in System.IO.Directory.GetDirectories(directory).Order(StringComparer.Ordinal))
        {
            if (!File.Exists(Path.Combine(dir, ExerciseReader.FileName))) continue;
            try
            {
                var e = ExerciseReader.Load(dir);
                if (exercises.FirstOrDefault(x => x.Number == e.Number) is { } twin)
                {
                    errors.Add($"{Path.Combine(dir, ExerciseReader.FileName)}: exercise {e.Number} is also {twin.Directory}");
                    continue;
                }
                exercises.Add(e);
            }
            catch (ExerciseDefinitionException ex)
            {
                errors.AddRange(ex.Errors.Select(x => x.ToString()));
            }
        }
        return new ExerciseCatalog(directory, [.. exercises.OrderBy(e => e.Number)], errors);
    }

    /// <summary>
    /// Parses <c>--since</c>: a date and time (<c>2026-11-28T16:00Z</c>, <c>2026-11-28 16:00</c>, local
    /// unless it names a zone), a time of day today (<c>16:00</c>), or a duration ago (<c>45m</c>, <c>2h</c>).
    /// </summary>
    public static DateTimeOffset? ParseSince(string text, DateTimeOffset now)
    {
        text = text.Trim();
        if (LabUnits.TryParseDuration(text, out var ago)) return now - ago;
        if (TimeOnly.TryParseExact(text, ["H:mm", "H:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            var local = now.ToLocalTime();
            var at = new DateTime(DateOnly.FromDateTime(local.DateTime), time, DateTimeKind.Unspecified);
            return new DateTimeOffset(at, TimeZoneInfo.Local.GetUtcOffset(at));
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var when) ? when : null;
    }
}
