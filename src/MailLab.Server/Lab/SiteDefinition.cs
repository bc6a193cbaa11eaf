using System.Net;

namespace MailLab.Server.Lab;

/// <summary>One organisation's mail system: its domains, host names, bind address, ports and users.</summary>
public sealed class SiteDefinition
{
    /// <summary>Short name used in traces and certificate file names (letters, digits, '.', '_', '-').</summary>
    public required string Name { get; init; }

    /// <summary>Mail domains this site is the final destination for (lower case, no trailing dot).</summary>
    public required IReadOnlyList<string> Domains { get; init; }

    /// <summary>Host names; the first is the primary one (greetings, certificate subject), all go into certificate SANs.</summary>
    public required IReadOnlyList<string> HostNames { get; init; }

    /// <summary>The IP address every listener of this site binds to, as written in the lab file.</summary>
    public required string Address { get; init; }

    public required SitePorts Ports { get; init; }

    public IReadOnlyList<UserDefinition> Users { get; init; } = [];

    /// <summary>
    /// Where the site's listeners are also reachable from outside its network (the classroom publishes the containers'
    /// ports on the host's loopback); null: nowhere else. Only the autoconfig file uses it.
    /// </summary>
    public SitePublished? Published { get; init; }

    /// <summary>The primary host name (first of <see cref="HostNames"/>).</summary>
    public string PrimaryHostName => HostNames.Count > 0 ? HostNames[0] : Name;

    /// <summary><see cref="Address"/> parsed.</summary>
    public IPAddress IPAddress => IPAddress.Parse(Address);
}

/// <summary>TCP ports of a site's listeners; 0 asks the OS for an ephemeral port (tests).</summary>
public sealed class SitePorts
{
    /// <summary>MTA: SMTP relay between sites (port 25 in containers), RFC 5321.</summary>
    public int Mta { get; init; }

    /// <summary>MSA with STARTTLS (587 in containers), RFC 6409 and RFC 3207.</summary>
    public int Submission { get; init; }

    /// <summary>MSA with implicit TLS (465 in containers), RFC 8314 §3.3.</summary>
    public int Submissions { get; init; }

    /// <summary>POP3 with STLS (110 in containers), RFC 1939 and RFC 2595; null: not served.</summary>
    public int? Pop3 { get; init; }

    /// <summary>POP3 with implicit TLS (995 in containers), RFC 8314 §3.3; null: not served.</summary>
    public int? Pop3s { get; init; }

    /// <summary>IMAP with STARTTLS (143 in containers), RFC 3501 and RFC 2595; null: not served.</summary>
    public int? Imap { get; init; }

    /// <summary>IMAP with implicit TLS (993 in containers), RFC 8314 §3.3; null: not served.</summary>
    public int? Imaps { get; init; }
}

/// <summary>
/// The lab file's <c>published:</c> block of a site: the address (or host name) outside the site's network and, per
/// listener (by its <c>ports:</c> key: <c>mta</c>, <c>submission</c>, ...), the port that reaches it there.
/// </summary>
public sealed class SitePublished
{
    /// <summary>An IP address or a host name (lower case), as a client outside uses it.</summary>
    public required string Address { get; init; }

    /// <summary>The published port of each listener named, by its <c>ports:</c> key; a listener not named is not published.</summary>
    public required IReadOnlyDictionary<string, int> Ports { get; init; }
}

/// <summary>A mailbox owner who can authenticate to the MSA (and later POP3/IMAP).</summary>
public sealed class UserDefinition
{
    public required string Address { get; init; }

    /// <summary>Lab password, in clear: the lab is a teaching tool and students must be able to read it.</summary>
    public required string Password { get; init; }
}
