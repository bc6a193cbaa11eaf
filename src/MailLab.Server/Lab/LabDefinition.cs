namespace MailLab.Server.Lab;

/// <summary>
/// One lab: the sites (organisations' mail systems), the lab switches and the limits.
/// Built by <see cref="LabDefinitionLoader"/>, which validates it; code that builds one by hand
/// (tests) is trusted to keep names, domains and address:port pairs unique. A record, so that
/// <c>lab with { Switches = ... }</c> starts the same lab with other switches (<c>maillab up --switch</c>).
/// </summary>
public sealed record LabDefinition
{
    public required string Name { get; init; }

    public required IReadOnlyList<SiteDefinition> Sites { get; init; }

    public LabSwitches Switches { get; init; } = new();

    internal LabLimits Limits { get; init; } = new();

    /// <summary>Outbound relay: destination port, retry intervals, queue lifetime.</summary>
    internal RelaySettings Relay { get; init; } = new();
    /// <summary>The lab DNS server's address, port and zone directory.</summary>
    public LabDns Dns { get; init; } = new();

    /// <summary>The lab's HTTP service: CA certificates, CRL, OpenPGP key server.</summary>
    public LabWeb Web { get; init; } = new();

    /// <summary>The dashboard: address, port, sign-in (<c>dashboard:</c>).</summary>
    public LabDashboard Dashboard { get; init; } = new();

    /// <summary>The attackers the lab plays when their switches are on (<c>attacks:</c>).</summary>
    public LabAttacks Attacks { get; init; } = new();

    /// <summary>DMARC rules (RFC 9989 or RFC 7489), extra public suffixes and the report interval.</summary>
    internal DmarcSettings Dmarc { get; init; } = new();

    /// <summary>The file (or source name) this definition was read from, if any.</summary>
    public string? SourceFile { get; init; }

    /// <summary>The site that serves <paramref name="domain"/> (case-insensitive, a trailing dot is ignored).</summary>
    internal SiteDefinition? FindSiteByDomain(string domain)
    {
        string wanted = LabNames.NormalizeDomain(domain);
        foreach (SiteDefinition site in Sites)
        {
            foreach (string d in site.Domains)
            {
                if (string.Equals(d, wanted, StringComparison.OrdinalIgnoreCase))
                {
                    return site;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The user with mailbox <paramref name="address"/>. Lab addresses are compared case-insensitively,
    /// local part included (RFC 5321 §2.4 lets a server treat local parts that way; students mistype case).
    /// </summary>
    internal UserDefinition? FindUser(string address)
    {
        int at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1)
        {
            return null;
        }

        SiteDefinition? site = FindSiteByDomain(address[(at + 1)..]);
        if (site is null)
        {
            return null;
        }

        string wanted = address[..at] + "@" + LabNames.NormalizeDomain(address[(at + 1)..]);
        foreach (UserDefinition user in site.Users)
        {
            if (string.Equals(user.Address, wanted, StringComparison.OrdinalIgnoreCase))
            {
                return user;
            }
        }

        return null;
    }
}
