using System.Text.RegularExpressions;
using MailLab.Tests.Support;

namespace MailLab.Tests.Docs;

/// <summary>
/// Every file or folder of the repository that a document names exists: a path in backquotes that
/// starts at a top-level folder (<c>src/...</c>, <c>docs/...</c>) or names a C# file, and every
/// relative Markdown link. A file moved or renamed without its documents fails here (issue 18 §6).
/// </summary>
public sealed partial class DocumentPathTests
{
    private static readonly string[] TopFolders = ["src/", "tests/", "docs/", "bench/", "lab/", "lab-exercises/", "docker/", "certs/", ".ci/"];

    /// <summary>The documents: README, docs/, the handouts, and every README under src/, tests/ and bench/.</summary>
    public static TheoryData<string> Documents() => new(DocumentList());

    private static List<string> DocumentList() =>
        Directory.EnumerateFiles(Repository.Root, "*.md", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Repository.Root, f).Replace('\\', '/'))
            .Where(f => !f.Split('/').Any(part => part is "bin" or "obj" or "node_modules" || part.StartsWith('.')))
            // Git-ignored outputs (.gitignore): a native build or a bench copies the handouts there, with links that only work in place.
            .Where(f => !f.StartsWith("out/", StringComparison.Ordinal) && !f.StartsWith("bench/results/", StringComparison.Ordinal))
            .Where(f => f == "README.md" || f.StartsWith("docs/", StringComparison.Ordinal) || f.StartsWith("lab-exercises/", StringComparison.Ordinal)
                || f.EndsWith("/README.md", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();

    [Fact]
    public void The_documents_are_found()
    {
        var docs = DocumentList();
        Assert.Contains("README.md", docs);
        Assert.Contains("docs/architecture.md", docs);
        Assert.Contains("lab-exercises/README.md", docs);
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_path_a_document_names_exists(string document)
    {
        var text = File.ReadAllText(Repository.File(document));
        var dir = Path.GetDirectoryName(Repository.File(document))!;
        var missing = new List<string>();
        foreach (var path in NamedPaths(text))
        {
            if (!Exists(path, dir)) missing.Add("`" + path + "`");
        }
        foreach (Match m in MarkdownLink().Matches(text))
        {
            var target = m.Groups[1].Value.Split('#')[0];
            if (target.Length == 0 || target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal)) continue;
            var full = Path.GetFullPath(Path.Combine(dir, target));
            // A link that leaves the repository (../shared/DESIGN.md) is outside what a clone can hold.
            if (!full.StartsWith(Repository.Root + Path.DirectorySeparatorChar, StringComparison.Ordinal)) continue;
            if (!File.Exists(full) && !Directory.Exists(full)) missing.Add("link " + m.Groups[1].Value);
        }
        Assert.True(missing.Count == 0, $"{document} names what does not exist:\n  {string.Join("\n  ", missing)}");
    }

    /// <summary>Paths in backquotes: those starting at a top-level folder, and C# file names (whole or partial paths).</summary>
    private static IEnumerable<string> NamedPaths(string text)
    {
        foreach (Match m in CodeSpan().Matches(text))
        {
            foreach (var word in m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var w = word.Trim('(', ')', ',', ';', ':', '"', '\'');
                // Placeholders (<data>/spool, $HOME/..., NN-name, TARGET) name no one file.
                if (w.IndexOfAny(['<', '>', '$', '*', '{', '}', '~']) >= 0 || Placeholder().IsMatch(w)) continue;
                if (TopFolders.Any(t => w.StartsWith(t, StringComparison.Ordinal)) || w.EndsWith(".cs", StringComparison.Ordinal) || w.EndsWith(".csproj", StringComparison.Ordinal))
                {
                    yield return w;
                }
            }
        }
    }

    private static bool Exists(string path, string documentDirectory)
    {
        // What a run makes (bench/results/, bench/fuzz/out/) is git-ignored: a clone does not have it yet.
        if (GeneratedFolders.Value.Any(g => (path.TrimEnd('/') + "/").StartsWith(g, StringComparison.Ordinal))) return true;
        if (File.Exists(Repository.File(path)) || Directory.Exists(Repository.File(path))) return true;
        if (File.Exists(Path.Combine(documentDirectory, path)) || Directory.Exists(Path.Combine(documentDirectory, path))) return true;
        // "Smtp/SmtpProfile.cs" in a paragraph about src/MailLab.Server: the end of some source file's path.
        if (!path.EndsWith(".cs", StringComparison.Ordinal) && !path.EndsWith(".csproj", StringComparison.Ordinal)) return false;
        var suffix = "/" + path.TrimStart('/');
        return SourceFiles.Value.Any(f => f.EndsWith(suffix, StringComparison.Ordinal));
    }

    /// <summary>The repository-rooted folders .gitignore names (<c>/bench/results/</c>), as <c>bench/results/</c>.</summary>
    private static readonly Lazy<List<string>> GeneratedFolders = new(() =>
        File.ReadAllLines(Repository.File(".gitignore"))
            .Where(l => l.StartsWith('/') && l.EndsWith('/'))
            .Select(l => l.TrimStart('/'))
            .ToList());

    private static readonly Lazy<List<string>> SourceFiles = new(() =>
        Directory.EnumerateFiles(Repository.Root, "*.cs*", SearchOption.AllDirectories)
            .Select(f => "/" + Path.GetRelativePath(Repository.Root, f).Replace('\\', '/'))
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
            .ToList());

    [GeneratedRegex(@"`([^`\n]+)`")] private static partial Regex CodeSpan();
    [GeneratedRegex(@"\]\(([^)\s]+)\)")] private static partial Regex MarkdownLink();
    [GeneratedRegex(@"(^|/)(NN|N|TARGET|NAME|ID)([-/.]|$)")] private static partial Regex Placeholder();
}
