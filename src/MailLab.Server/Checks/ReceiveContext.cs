using System.Net;
using System.Text;
using MailLab.Server.Delivery;
using MailLab.Server.Lab;
using MailLab.Server.Sites;
using MailLab.Server.Trace;

namespace MailLab.Server.Checks;

/// <summary>
/// The values the checks of one transaction returned, by type (an <see cref="SpfCheckResult"/>, a
/// <see cref="DkimCheckResult"/>, a <see cref="DmarcCheckResult"/>, ...): a later stage reads what an
/// earlier one found, and a new check adds its own result type without changing this class.
/// </summary>
public sealed class CheckResults
{
    private readonly Dictionary<Type, object> values = [];
    private string? authenticationResults;
    private IReadOnlyList<MailAuth.Dmarc.DmarcDkimInput>? dkimInputs;

    /// <summary>The result of type <typeparamref name="T"/> a check stored, or null.</summary>
    public T? Get<T>() where T : class => values.TryGetValue(typeof(T), out var v) ? (T)v : null;

    /// <summary>Stores a check's result (one per type).</summary>
    public void Set<T>(T value) where T : class
    {
        values[typeof(T)] = value;
        // What is derived from the results is derived again from the new ones.
        authenticationResults = null;
        dkimInputs = null;
    }

    /// <summary>SPF of HELO and MAIL FROM (MAIL time, MTA only).</summary>
    internal SpfCheckResult? Spf => Get<SpfCheckResult>();

    /// <summary>DKIM: every signature verified at the end of DATA (MTA only).</summary>
    internal DkimCheckResult? Dkim => Get<DkimCheckResult>();

    /// <summary>DMARC and what the MTA does about it (MTA with DNS only).</summary>
    public DmarcCheckResult? Dmarc => Get<DmarcCheckResult>();

    /// <summary>Each verified DKIM signature as DMARC's plain input (d=, verdict, s=); unreadable ones keep their verdict.</summary>
    public IReadOnlyList<MailAuth.Dmarc.DmarcDkimInput> DkimInputs => dkimInputs ??=
        Dkim?.Verifications.Select(v => new MailAuth.Dmarc.DmarcDkimInput(v.Domain ?? "", DkimVerifyStage.Outcome(v.Result), v.Selector)).ToList()
            ?? (IReadOnlyList<MailAuth.Dmarc.DmarcDkimInput>)[];

    /// <summary>
    /// The Authentication-Results value of this hop (RFC 8601), rendered once from the SPF, DKIM and
    /// DMARC results: the header and the DMARC failure report carry the same text.
    /// </summary>
    public string AuthenticationResults(string host, string mailFrom)
    {
        if (authenticationResults is not null) return authenticationResults;
        var spf = Spf!;
        var spfUsed = string.IsNullOrEmpty(mailFrom) ? spf.Helo : spf.MailFrom;
        return authenticationResults = MailAuth.AuthResults.AuthenticationResults.Render(host, spfUsed, mailFrom, DkimInputs, Dmarc?.Result);
    }
}

/// <summary>What a check sees at MAIL time (RFC 5321 §4.1.1.2): the client and the reverse-path.</summary>
public sealed record MailFromContext(LabSite Site, IPAddress Client, string Helo, string MailFrom, CheckResults Results,
    TraceContext Trace, CancellationToken Token)
{
    /// <summary>The receiving host's name.</summary>
    public string Host => Site.HostName;
}

/// <summary>
/// One received message on its way through the stages: the session's facts, the envelope, the
/// message view, the check results, the header fields added so far and the folder it goes to.
/// </summary>
public sealed class ReceiveContext
{
    /// <summary>The receiving site.</summary>
    public required LabSite Site { get; init; }

    /// <summary>The SMTP profile's name (MTA, MSA), shown in the Received field.</summary>
    public required string ProfileName { get; init; }

    /// <summary>The client's address as seen on the socket.</summary>
    public required IPAddress Client { get; init; }

    /// <summary>The HELO/EHLO name ("" when none was given).</summary>
    public required string Helo { get; init; }

    /// <summary>Whether the client greeted with EHLO.</summary>
    public required bool Esmtp { get; init; }

    /// <summary>The authenticated user (submission), else null.</summary>
    public required UserDefinition? User { get; init; }

    /// <summary>The TLS parameters when the session is encrypted.</summary>
    public required TlsDetails? Tls { get; init; }

    /// <summary>The reverse-path; "" for the null sender.</summary>
    public required string MailFrom { get; init; }

    /// <summary>The accepted forward-paths, in order.</summary>
    public required IReadOnlyList<string> Recipients { get; init; }

    /// <summary>Whether the client asked for SMTPUTF8.</summary>
    public required bool Utf8 { get; init; }

    /// <summary>Whether MAIL had REQUIRETLS (RFC 8689): the queue keeps it and the relay enforces it.</summary>
    public bool RequireTls { get; init; }

    /// <summary>The queue id this message got.</summary>
    public required string QueueId { get; init; }

    /// <summary>The lab's outbound queue (remote recipients, reports); null where relaying to other domains is not available.</summary>
    public required Relay.RelayQueue? Queue { get; init; }

    /// <summary>The message's trace (events carry the queue id).</summary>
    public required TraceContext Trace { get; init; }

    /// <summary>The server's own time budget for checking and delivering the message.</summary>
    public required CancellationToken Token { get; init; }

    /// <summary>The message, parsed once.</summary>
    public required MessageView Message { get; init; }

    /// <summary>What the checks found (SPF from MAIL time included).</summary>
    public required CheckResults Results { get; init; }

    /// <summary>The header fields this hop adds on top of the message, in order.</summary>
    public StringBuilder Added { get; } = new();

    /// <summary>Where local recipients get the message (DMARC quarantine sets Junk).</summary>
    public string Folder { get; set; } = "INBOX";

    /// <summary>The receiving host's name.</summary>
    public string Host => Site.HostName;

    /// <summary>Appends a header field to <see cref="Added"/> and traces it as HeaderAdded (<paramref name="note"/> after the text).</summary>
    public void AddHeader(string name, string value, string note = "")
    {
        Added.Append(name).Append(": ").Append(value).Append("\r\n");
        Trace.Emit(TraceKind.HeaderAdded, $"{name}: {value}{note}", ("Header", name), ("Value", value));
    }

}

/// <summary>A check's unexpected exception, traced once the same way by every stage.</summary>
internal static class CheckFailure
{
    /// <summary>Traces an InternalError event and returns the verdict's reason (the check's result becomes temperror).</summary>
    public static string Trace(string check, Exception ex, TraceContext t)
    {
        var reason = $"internal error in the {check.ToUpperInvariant()} check ({ex.GetType().Name}: {ex.Message}); taken as temperror";
        t.Emit(TraceKind.InternalError, reason, ("Check", check), ("Error", ex.ToString()));
        return reason;
    }
}
