using System.Text;
using MailKit;

namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// Prints a MailKit client's dialogue to the demo's output as <c>C:</c> / <c>S:</c> lines. AUTH
/// secrets stay masked: MailKit's <see cref="IAuthenticationSecretDetector"/> marks them.
/// </summary>
internal sealed class DemoProtocolLogger(TextWriter output) : IProtocolLogger
{
    /// <inheritdoc />
    public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

    /// <inheritdoc />
    public void LogConnect(Uri uri) => output.WriteLine($"   (connected to {uri})");

    /// <inheritdoc />
    public void LogClient(byte[] buffer, int offset, int count) => Write("C: ", buffer, offset, count, secrets: true);

    /// <inheritdoc />
    public void LogServer(byte[] buffer, int offset, int count) => Write("S: ", buffer, offset, count, secrets: false);

    private void Write(string prefix, byte[] buffer, int offset, int count, bool secrets)
    {
        var text = new StringBuilder(Encoding.UTF8.GetString(buffer, offset, count));
        if (secrets && AuthenticationSecretDetector is { } detector)
        {
            // Replace each secret span with asterisks, from the end so earlier offsets stay valid.
            foreach (var s in detector.DetectSecrets(buffer, offset, count).OrderByDescending(s => s.StartIndex))
            {
                text.Remove(s.StartIndex - offset, s.Length).Insert(s.StartIndex - offset, "********");
            }
        }
        foreach (var line in text.ToString().Replace("\r\n", "\n").TrimEnd('\n').Split('\n'))
        {
            output.WriteLine(prefix + line);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
