using System.Text.RegularExpressions;
using MailLab.Tests.Support;

namespace MailLab.Tests.Protocols;

/// <summary>
/// The pieces every protocol shares (SASL mechanisms, CRLF line framing) name no protocol: SMTP, POP3
/// and IMAP depend on them, never the other way round (issue 18: SASL depended on the Smtp namespace).
/// </summary>
public sealed partial class SharedPiecesTests
{
    [Theory]
    [InlineData("src/MailLab.Protocols/Sasl")]
    [InlineData("src/MailLab.Protocols/Text")]
    public void Shared_folders_use_no_protocol_namespace(string folder)
    {
        var files = Directory.GetFiles(Repository.File(folder), "*.cs");
        Assert.NotEmpty(files);
        var offenders = files
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetFileName(f), Line: i + 1, Text: line)))
            .Where(l => ProtocolName().IsMatch(l.Text))
            .Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}")
            .ToList();
        Assert.True(offenders.Count == 0, $"{folder} names a protocol:\n" + string.Join("\n", offenders));
    }

    // A namespace (MailLab.Protocols.Smtp) or a type of one (SmtpReply, Pop3Reply, ImapWriter).
    [GeneratedRegex(@"Protocols\.(Smtp|Pop3|Imap)\b|\b(Smtp|Pop3|Imap)[A-Z]\w*")]
    private static partial Regex ProtocolName();
}
