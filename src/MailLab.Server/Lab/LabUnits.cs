using System.Globalization;
using System.Text.RegularExpressions;

namespace MailLab.Server.Lab;

/// <summary>Sizes ("10MiB") and durations ("5m") as instructors write them in a lab file.</summary>
internal static partial class LabUnits
{
    public const string SizeForms = "a number of bytes, or a number with B, KiB, MiB or GiB (for example 10MiB)";
    public const string DurationForms = "a number with ms, s, m or h (for example 90s or 5m)";

    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        Match match = SizePattern().Match(text);
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long number))
        {
            return false;
        }

        long unit = match.Groups[2].Value switch
        {
            "KiB" => 1L << 10,
            "MiB" => 1L << 20,
            "GiB" => 1L << 30,
            _ => 1,
        };
        if (number > long.MaxValue / unit)
        {
            return false;
        }

        bytes = number * unit;
        return true;
    }

    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        Match match = DurationPattern().Match(text);
        if (!match.Success || !int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
        {
            return false;
        }

        duration = match.Groups[2].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(number),
            "s" => TimeSpan.FromSeconds(number),
            "m" => TimeSpan.FromMinutes(number),
            _ => TimeSpan.FromHours(number),
        };
        return true;
    }

    [GeneratedRegex(@"^(\d{1,19})\s*(B|KiB|MiB|GiB)?$", RegexOptions.CultureInvariant)]
    private static partial Regex SizePattern();

    [GeneratedRegex(@"^(\d{1,9})\s*(ms|s|m|h)$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();
}
