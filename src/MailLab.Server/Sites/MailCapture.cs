namespace MailLab.Server.Sites;

/// <summary>
/// The attacker's side of the <c>spoof-dns</c> attack: a site whose MTA takes mail for domains it does not
/// own (those whose MX the forger pointed at it) and puts every such message in one of its own mailboxes.
/// </summary>
/// <param name="Domains">The victim domains (lower case) whose mail the forged MX brings here.</param>
/// <param name="Mailbox">The attacker's mailbox that receives it.</param>
internal sealed record MailCapture(IReadOnlyList<string> Domains, string Mailbox)
{
    /// <summary>Whether mail for <paramref name="domain"/> is taken here.</summary>
    public bool Takes(string domain) => Domains.Contains(domain, StringComparer.OrdinalIgnoreCase);
}
