namespace MailLab.Tests.Support;

/// <summary>Files of the repository the tests run from (found by walking up to MailLab.sln).</summary>
public static class Repository
{
    /// <summary>The full path of <paramref name="relative"/>, a path from the repository's root.</summary>
    public static string PathOf(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MailLab.sln"))) return Path.Combine(dir.FullName, relative);
        }
        throw new FileNotFoundException("no MailLab.sln above " + AppContext.BaseDirectory);
    }
}
