using System.Text;

namespace MailLab.Server.Attacks;

/// <summary>
/// The attacker's capture as a text file a student reads (<c>&lt;data&gt;/attacks/strip-starttls.log</c>):
/// one line per thing seen, prefixed with the time and the attacker's session, <c>C:</c> for what the
/// client sent, <c>S:</c> for what the server answered, <c>!</c> for what the attacker did. Sessions write
/// whole blocks under one lock, so concurrent sessions interleave by block, never mid-line. Capped in size:
/// past <see cref="MaxBytes"/> it notes once that it stopped recording.
/// </summary>
public sealed class AttackTranscript
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly object gate = new();
    private bool full;

    /// <summary>A transcript at <paramref name="path"/> (the directory is made on first write).</summary>
    public AttackTranscript(string path) => Path = path;

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Largest size the file grows to (64 MiB), so a flood cannot fill the disk.</summary>
    public long MaxBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>The transcript file of the strip-starttls attack in <paramref name="dataDirectory"/>.</summary>
    public static string StripStarttlsPath(string dataDirectory) =>
        System.IO.Path.Combine(dataDirectory, "attacks", "strip-starttls.log");

    /// <summary>Appends <paramref name="block"/> (complete lines). Never throws for I/O: a capture must not end a session.</summary>
    public void Write(string block)
    {
        if (block.Length == 0) return;
        lock (gate)
        {
            if (full) return;
            try
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
                using var file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
                var bytes = Utf8.GetBytes(block);
                if (file.Length + bytes.Length > MaxBytes)
                {
                    full = true;
                    file.Write(Utf8.GetBytes($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} ! transcript full ({MaxBytes} bytes): recording stops here\n"));
                    return;
                }
                file.Write(bytes);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The trace still has the attack's events.
            }
        }
    }
}
