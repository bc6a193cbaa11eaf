using System.Text;
using MailKit;
using MailLab.Server.Trace;

namespace MailLab.Server.Relay;

/// <summary>
/// Turns MailKit's outbound byte stream into one trace event per line: <c>C:</c> lines as
/// <see cref="TraceKind.RelayCommandSent"/>, <c>S:</c> lines as <see cref="TraceKind.RelayReplyReceived"/>.
/// The message content after 354 is summarised in one event, not one per line; AUTH payloads are
/// redacted unless the lab reveals secrets.
/// </summary>
internal sealed class RelayProtocolLogger(TraceContext trace) : IProtocolLogger
{
    private readonly StringBuilder client = new();
    private readonly StringBuilder server = new();
    private bool inData;
    private bool dataPending;
    private bool authExchange;
    private long dataLines;
    private long dataOctets;

    public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

    public void LogConnect(Uri uri)
    {
    }

    public void LogClient(byte[] buffer, int offset, int count)
    {
        if (inData) dataOctets += count;
        Split(client, buffer, offset, count, ClientLine);
    }

    public void LogServer(byte[] buffer, int offset, int count) => Split(server, buffer, offset, count, ServerLine);

    private static void Split(StringBuilder pending, byte[] buffer, int offset, int count, Action<string> line)
    {
        pending.Append(Encoding.UTF8.GetString(buffer, offset, count));
        while (true)
        {
            var text = pending.ToString();
            var end = text.IndexOf("\r\n", StringComparison.Ordinal);
            if (end < 0) return;
            pending.Remove(0, end + 2);
            line(text[..end]);
        }
    }

    private void ClientLine(string line)
    {
        if (inData)
        {
            if (line == ".")
            {
                inData = false;
                trace.Emit(TraceKind.RelayCommandSent, $"C: <message content: {dataLines} lines, {dataOctets} octets>",
                    ("Line", "<message content>"), ("Lines", dataLines), ("Octets", dataOctets));
                trace.Emit(TraceKind.RelayCommandSent, "C: .", ("Line", "."));
            }
            else
            {
                dataLines++;
            }
            return;
        }
        if (authExchange)
        {
            // A response to a 334 challenge (RFC 4954 §4) is a credential, whatever it looks like.
            trace.Emit(TraceKind.RelayCommandSent, "C: " + trace.Secret(line), ("Line", trace.Secret(line)));
            return;
        }
        if (line.Equals("DATA", StringComparison.OrdinalIgnoreCase)) dataPending = true;
        authExchange = SecretRedaction.IsAuthenticationCommand(SecretProtocol.Smtp, line);
        var shown = trace.ClientLine(SecretProtocol.Smtp, line);
        trace.Emit(TraceKind.RelayCommandSent, "C: " + shown, ("Line", shown));
    }

    private void ServerLine(string line)
    {
        trace.Emit(TraceKind.RelayReplyReceived, "S: " + line, ("Line", line),
            ("Code", line.Length >= 3 && int.TryParse(line.AsSpan(0, 3), out var code) ? code : null));
        if (authExchange && !line.StartsWith("334", StringComparison.Ordinal))
        {
            authExchange = false; // any other reply ends the exchange
        }
        if (dataPending && line.StartsWith("354", StringComparison.Ordinal))
        {
            dataPending = false;
            inData = true;
            dataLines = 0;
            dataOctets = 0;
        }
    }

    public void Dispose()
    {
    }
}
