using System.Diagnostics;
using MailLab.Fuzz;
using MailLab.Tests.Support;

namespace MailLab.Tests.Fuzz;

/// <summary>
/// Replays every saved fuzzing input (bench/fuzz/corpus/TARGET/*: hand-made seeds and what afl++ found)
/// through the same target function the fuzzer runs, without afl: the corpus is a regression suite.
/// </summary>
public class FuzzCorpusTests
{
    public static TheoryData<string> Targets() => new(FuzzTargets.All.Keys);

    internal static string CorpusDirectory => Repository.File(Path.Combine("bench", "fuzz", "corpus"));

    [Fact]
    public void Every_target_has_a_corpus_and_every_corpus_a_target()
    {
        var dirs = Directory.GetDirectories(CorpusDirectory).Select(d => Path.GetFileName(d)!).Order().ToList();
        Assert.Equal(FuzzTargets.All.Keys.Order().ToList(), dirs);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Saved_inputs_give_a_value_or_a_clean_error(string target)
    {
        var files = Directory.GetFiles(Path.Combine(CorpusDirectory, target));
        Assert.NotEmpty(files);
        var run = FuzzTargets.All[target];
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            try
            {
                run(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                failures.Add($"{Path.GetFileName(file)}: {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        // The whole replay must stay quick enough for every CI run.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{target}: {files.Length} inputs took {clock.Elapsed}");
    }
}
