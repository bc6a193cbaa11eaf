using System.Text;
using MailLab.Server;

namespace MailLab.Tests.Architecture;

/// <summary>
/// No dependency cycle between the folders of MailLab.Server (issue 18 item 4): each folder is a layer
/// that uses only the layers below it, so a folder can be read, tested and changed without the ones above.
/// </summary>
public class FolderCycleTests
{
    [Fact]
    public void MailLabServerFoldersFormNoCycle()
    {
        var graph = FolderGraph.Read(typeof(LabRuntime).Assembly.Location, "MailLab.Server");
        Assert.True(graph.Edges.Count > 10, "the graph reader found no edges, so it cannot see a cycle either");
        var cycles = graph.Cycles();
        Assert.True(cycles.Count == 0, Describe(graph, cycles));
    }

    [Fact]
    public void TheGraphSeesTypesUsedOnlyInMethodBodies()
    {
        // LabRuntime names DkimKeySet only in a call inside Start, and Pop3Session only inside a lambda (a
        // compiler-made nested type): a reader of signatures alone would miss both edges.
        var graph = FolderGraph.Read(typeof(LabRuntime).Assembly.Location, "MailLab.Server");
        Assert.Contains((FolderGraph.RootFolder, "Dkim"), graph.Edges.Keys);
        Assert.Contains((FolderGraph.RootFolder, "Pop3"), graph.Edges.Keys);
        Assert.DoesNotContain(("Trace", FolderGraph.RootFolder), graph.Edges.Keys);
    }

    /// <summary>Each cycle's folders, then per folder of it a shortest way back to the first, with one type per edge.</summary>
    private static string Describe(FolderGraph graph, IReadOnlyList<IReadOnlyList<string>> cycles)
    {
        var text = new StringBuilder($"{cycles.Count} folder cycle(s) in MailLab.Server:\n");
        foreach (var cycle in cycles)
        {
            text.Append($"cycle of {cycle.Count}: {string.Join(", ", cycle)}\n");
            foreach (var edge in graph.Edges.Where(e => cycle.Contains(e.Key.From) && cycle.Contains(e.Key.To)).OrderBy(e => e.Key.From).ThenBy(e => e.Key.To))
            {
                text.Append($"  {edge.Key.From} -> {edge.Key.To}: {edge.Value.User} uses {edge.Value.Used}\n");
            }
            var first = cycle[0];
            var loops = cycle.Skip(1).Select(f => string.Join(" -> ", graph.Path(first, f)!.Concat(graph.Path(f, first)!.Skip(1)))).Distinct();
            foreach (var loop in loops)
            {
                text.Append($"  loop: {loop}\n");
            }
        }
        return text.ToString();
    }
}
