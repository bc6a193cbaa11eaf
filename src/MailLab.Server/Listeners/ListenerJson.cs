using System.Text.Json.Serialization;

namespace MailLab.Server.Listeners;

/// <summary>
/// listeners.json as the lab writes it and scripts, <c>maillab dns</c> and the demos read it. Source-generated,
/// like every JSON the lab reads or writes: no reflection, so a trimmed native (AOT) build writes the same file.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(List<ListenerInfo>))]
public sealed partial class ListenerJson : JsonSerializerContext;
