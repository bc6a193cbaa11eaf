using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace MailLab.Server.Lab;

/// <summary>
/// Remembers where the last good YAML event ended. YamlDotNet 16 throws a bare InvalidOperationException,
/// without a mark, on some broken input (an unclosed flow list), so this is the best place we can point at.
/// </summary>
internal sealed class MarkTrackingParser(IParser inner) : IParser
{
    public Mark LastGood { get; private set; } = Mark.Empty;

    public ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        if (inner.Current is { } previous)
        {
            LastGood = previous.End;
        }

        return inner.MoveNext();
    }
}
