using System.Text.Json.Serialization;

namespace MailLab.Server.Relay;

/// <summary>A queue entry's envelope.json (source-generated: see <see cref="Listeners.ListenerJson"/>).</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(QueueEntry))]
internal sealed partial class QueueEntryJson : JsonSerializerContext;
