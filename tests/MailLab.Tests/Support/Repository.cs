namespace MailLab.Tests.Support;

/// <summary>The repository the tests run from (found by walking up to <c>MailLab.sln</c>).</summary>
public static class Repository
{
    /// <summary>The repository's root directory.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A path inside the repository.</summary>
    public static string File(string relative) => Path.Combine(Root, relative);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "MailLab.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException("no MailLab.sln above " + AppContext.BaseDirectory);
    }
}
