using System.Text.Json.Serialization;

namespace MailLab.Server.Listeners;

/// <summary>One bound listener, as printed at start and written to listeners.json for scripts.</summary>
public sealed record ListenerInfo(
    [property: JsonPropertyName("site")] string Site,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("port")] int Port,
    [property: JsonPropertyName("tls")] string Tls);

/// <summary>A listener that could not bind: named in one line, never a stack trace.</summary>
public sealed class ListenerBindException(string site, string role, string endpoint, string reason)
    : Exception($"cannot listen for {site} {role} on {endpoint}: {reason}")
{
    /// <summary>The site whose listener failed.</summary>
    public string Site { get; } = site;

    /// <summary>The role (MTA, MSA) of the listener.</summary>
    public string Role { get; } = role;

    /// <summary>The address:port it tried.</summary>
    public string EndPoint { get; } = endpoint;

    /// <summary>Why the bind failed.</summary>
    public string Reason { get; } = reason;
}
