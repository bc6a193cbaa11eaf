namespace MailLab.MailAuth.Dmarc;

/// <summary>
/// Why a message's RFC5322.From cannot be used for DMARC. Each is a permerror with disposition
/// reject: DMARC must never pass a message for a domain other than the one the reader sees
/// (RFC 7489 §6.6.1, RFC 9989 §4.4; the receiver-side tricks of "Composition Kills", USENIX Security 2020).
/// </summary>
public enum FromProblem
{
    /// <summary>No From field (RFC 5322 §3.6 requires exactly one).</summary>
    Missing,
    /// <summary>More than one From field (RFC 5322 §3.6: at most one); clients and filters may pick different ones.</summary>
    Multiple,
    /// <summary>A field name with white space before the colon ("From :") or a folded first line: some parsers see a From, others do not.</summary>
    OddFieldName,
    /// <summary>A header line that is no field at all (RFC 5322 §2.2 needs "name:").</summary>
    HeaderSyntax,
    /// <summary>More than one mailbox in From (RFC 7489 §6.6.1), including two angle addresses in one.</summary>
    SeveralAddresses,
    /// <summary>Group syntax ("name: a@b;"): From is a mailbox-list, not an address-list (RFC 5322 §3.6.2).</summary>
    Group,
    /// <summary>An address with no domain, or the empty address &lt;&gt;.</summary>
    NoDomain,
    /// <summary>An RFC 2047 encoded-word inside the address (RFC 2047 §5 forbids it; a client may decode it, DMARC must not).</summary>
    EncodedAddress,
    /// <summary>An obsolete source route &lt;@host:user@domain&gt; (RFC 5322 §4.4): which domain is the author's?</summary>
    SourceRoute,
    /// <summary>A domain literal such as [192.0.2.1]: no DNS name to ask for a policy.</summary>
    DomainLiteral,
    /// <summary>A domain that is not a DNS host name (bad characters, empty or long labels, non-ASCII).</summary>
    BadDomain,
    /// <summary>Anything else that does not parse as one RFC 5322 mailbox.</summary>
    Syntax,
}

/// <summary>The author domain of a message (RFC 7489 §3.1), or why there is none.</summary>
/// <param name="Address">The addr-spec, when one was found.</param>
/// <param name="Domain">Its domain, lower case.</param>
/// <param name="Problem">Set when the message is refused.</param>
/// <param name="Reason">Human-readable reason, naming the rule.</param>
/// <param name="FieldValue">The From field value as received (unfolded), for the explanation.</param>
public sealed record AuthorDomain(string? Address, string? Domain, FromProblem? Problem, string? Reason, string? FieldValue)
{
    /// <summary>A note for the explanation that does not change the verdict (e.g. an address in the display name).</summary>
    public string? Note { get; init; }

    /// <summary>Short keyword for the problem, as used in headers and traces ("several-from", ...).</summary>
    public string? ProblemKeyword => Problem switch
    {
        null => null,
        FromProblem.Missing => "no-from",
        FromProblem.Multiple => "several-from",
        FromProblem.OddFieldName => "odd-from-field",
        FromProblem.HeaderSyntax => "header-syntax",
        FromProblem.SeveralAddresses => "several-addresses",
        FromProblem.Group => "group-in-from",
        FromProblem.NoDomain => "no-domain",
        FromProblem.EncodedAddress => "encoded-address",
        FromProblem.SourceRoute => "source-route",
        FromProblem.DomainLiteral => "domain-literal",
        FromProblem.BadDomain => "bad-domain",
        _ => "from-syntax",
    };

    internal static AuthorDomain Fail(FromProblem p, string reason, string? value) => new(null, null, p, reason, value);
}
