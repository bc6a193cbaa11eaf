using System.Text;

namespace MailLab.Tests.Support;

/// <summary>Reads CRLF lines and whole (multi-line) SMTP replies from a client-side stream, unbuffered past what it returns.</summary>
public sealed class ClientLines(Stream stream)
{
    private readonly byte[] one = new byte[1];

    public Stream Stream { get; set; } = stream;

    public async Task<string?> ReadLineAsync(CancellationToken ct)
    {
        var bytes = new List<byte>();
        while (true)
        {
            int n = await Stream.ReadAsync(one, ct);
            if (n == 0) return bytes.Count == 0 ? null : Encoding.UTF8.GetString([.. bytes]);
            if (one[0] == '\n')
            {
                if (bytes.Count > 0 && bytes[^1] == '\r') bytes.RemoveAt(bytes.Count - 1);
                return Encoding.UTF8.GetString([.. bytes]);
            }
            bytes.Add(one[0]);
        }
    }

    /// <summary>One reply: lines "ddd-..." up to the final "ddd ..."; null when the server closed.</summary>
    public async Task<string?> ReadReplyAsync(CancellationToken ct)
    {
        var sb = new StringBuilder();
        while (true)
        {
            var line = await ReadLineAsync(ct);
            if (line is null) return sb.Length == 0 ? null : sb.ToString();
            if (sb.Length > 0) sb.Append('\n');
            sb.Append(line);
            if (line.Length < 4 || line[3] != '-') return sb.ToString();
        }
    }
}
