using System.CommandLine;
using MailLab.Server.Lab;

namespace MailLab.Cli;

/// <summary><c>maillab lab check FILE</c>: validates a lab definition without starting anything.</summary>
internal static class LabCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The lab definition (YAML) to validate" };
        var check = new Command("check", "Validate a lab definition file; errors name the file, line and field");
        check.Arguments.Add(file);
        check.SetAction(parse => Check(parse.GetValue(file)!));
        var lab = new Command("lab", "Work with lab definitions");
        lab.Subcommands.Add(check);
        return lab;
    }

    private static int Check(FileInfo file)
    {
        if (!TryLoad(file.FullName, out var lab)) return 2;
        var users = lab!.Sites.Sum(s => s.Users.Count);
        Console.WriteLine($"{file.Name}: OK: lab '{lab.Name}', {lab.Sites.Count} sites, {users} users");
        foreach (var s in lab.Sites)
        {
            Console.WriteLine($"  {s.Name,-12} {s.Address,-12} domains: {string.Join(", ", s.Domains)}; users: {string.Join(", ", s.Users.Select(u => u.Address))}");
        }
        return 0;
    }

    /// <summary>Loads a lab file or the default; prints a one-line error and returns false when it is bad.</summary>
    public static bool TryLoad(string? path, out LabDefinition? lab)
    {
        lab = null;
        try
        {
            lab = path is null ? LabDefinitionLoader.LoadDefault() : LabDefinitionLoader.Load(path);
            return true;
        }
        catch (LabDefinitionException ex)
        {
            Console.Error.WriteLine($"maillab: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"maillab: cannot read {path}: {ex.Message}");
        }
        return false;
    }
}
