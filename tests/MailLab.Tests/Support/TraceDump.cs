using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MailLab.Server.Trace;

namespace MailLab.Tests.Support;

/// <summary>
/// With <c>MAILLAB_TRACE_DUMP=DIR</c>, every in-memory transcript appends its session's trace events,
/// with what differs from run to run (ids, dates, paths, signatures) masked, to <c>DIR/transcripts.txt</c>.
/// A refactoring that must not change behaviour is checked by running the suite before and after and
/// comparing the sorted blocks: <c>tests/trace-diff.sh</c>.
/// </summary>
internal static partial class TraceDump
{
    private static readonly string? Directory = Environment.GetEnvironmentVariable("MAILLAB_TRACE_DUMP");
    private static readonly Lock Gate = new();

    /// <summary>Appends one session's events as one block (no-op unless the variable is set).</summary>
    public static void Write(Tracer tracer, string session)
    {
        if (string.IsNullOrEmpty(Directory)) return;
        var block = new StringBuilder("=== session\n");
        foreach (var e in tracer.Stream.Query().Where(e => e.Session == session))
        {
            var fields = e.Fields.OrderBy(f => f.Key, StringComparer.Ordinal).ToDictionary(f => f.Key, f => f.Value);
            var line = JsonSerializer.Serialize(new { Kind = e.Kind.ToString(), Role = e.Role.ToString(), e.Site, e.Origin, Message = e.Message is null ? null : "M", e.Text, Fields = fields },
                new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            block.Append(Mask(line)).Append('\n');
        }
        lock (Gate)
        {
            System.IO.Directory.CreateDirectory(Directory);
            File.AppendAllText(Path.Combine(Directory, "transcripts.txt"), block.ToString());
        }
    }

    private static string Mask(string line)
    {
        line = line.Replace(TempDir.Root, "$TMP");
        line = SessionId().Replace(line, "S");
        line = QueueId().Replace(line, "QID");
        line = MailDate().Replace(line, "DATE");
        line = ImapDate().Replace(line, "IMAPDATE");
        line = IsoTime().Replace(line, "TIME");
        line = UnixSeconds().Replace(line, "UNIX");
        line = DkimVarying().Replace(line, "$1=X");
        line = Guid8().Replace(line, "-GUID");
        line = MaildirName().Replace(line, "NAME.vm");
        line = Elapsed().Replace(line, "\"$1Ms\":N");
        return line;
    }

    [GeneratedRegex(@"\b[TPI]\d{4}\b")] private static partial Regex SessionId();
    [GeneratedRegex(@"\b[0-9BCDFGHJKLMNPQRSTVWXYZ]{12}\b")] private static partial Regex QueueId();
    [GeneratedRegex(@"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}")] private static partial Regex MailDate();
    [GeneratedRegex(@"\d{1,2}-\w{3}-\d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}")] private static partial Regex ImapDate();
    [GeneratedRegex(@"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")] private static partial Regex IsoTime();
    [GeneratedRegex(@"\b1\d{9}\b")] private static partial Regex UnixSeconds();
    [GeneratedRegex(@"\b(t|b|x)=[A-Za-z0-9+/=]+")] private static partial Regex DkimVarying();
    [GeneratedRegex(@"-[0-9a-f]{8}\b")] private static partial Regex Guid8();
    [GeneratedRegex(@"UNIX\.M\d+P\d+Q\d+\.vm")] private static partial Regex MaildirName();
    [GeneratedRegex(@"""(\w*)Ms"":\d+")] private static partial Regex Elapsed();
}
