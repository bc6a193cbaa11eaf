using MailLab.Fuzz;
using SharpFuzz;

// MailLab.Fuzz TARGET            afl++ mode: SharpFuzz reads each input afl gives on stdin.
// MailLab.Fuzz TARGET FILE|DIR.. replay: runs each file once and prints the outcome (triage, no afl).
// MailLab.Fuzz list              the target names.
if (args.Length == 0 || args[0] == "list" || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    if (args.Length > 0 && args[0] != "list")
    {
        Console.Error.WriteLine($"unknown target '{args[0]}'");
    }
    foreach (var name in FuzzTargets.All.Keys)
    {
        Console.WriteLine(name);
    }
    return args.Length > 0 && args[0] == "list" ? 0 : 2;
}

if (args.Length == 1)
{
    // Inputs above 1 MiB are cut: no parser here is meant for more in one piece, and afl's are far smaller.
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while (buffer.Length < (1 << 20) && (n = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            buffer.Write(chunk, 0, n);
        }
        target(buffer.ToArray());
    });
    return 0;
}

// Replay: one line per failing file, then each distinct failure (type and our innermost frame) once, in full.
var failed = 0;
var distinct = new Dictionary<string, (string File, Exception Error)>();
var files = args.Skip(1).SelectMany<string, string>(a => Directory.Exists(a)
    ? Directory.EnumerateFiles(a, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal)
    : [a]);
foreach (var file in files)
{
    try
    {
        target(File.ReadAllBytes(file));
    }
    catch (Exception e)
    {
        failed++;
        var frame = e.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("MailLab.", StringComparison.Ordinal))?.Trim();
        Console.WriteLine($"{file}: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
        distinct.TryAdd($"{e.GetType().Name} {frame}", (file, e));
    }
}
foreach (var (key, (file, error)) in distinct)
{
    Console.WriteLine($"\n== {key}\n   first seen in {file}\n{error}");
}
Console.Error.WriteLine($"{failed} failing input(s)");
return failed == 0 ? 0 : 1;
