using System.Net;
using DnsClient;

namespace MailLab.Server.Dns;

/// <summary>
/// A client that asks the lab DNS the way dig does: one question, no cache, no recursion wanted,
/// DNS errors returned as answers (NXDOMAIN is a result to show, not an exception).
/// </summary>
public static class DigClient
{
    /// <summary>A client for <paramref name="server"/>, over TCP only when <paramref name="tcp"/>, else UDP with TCP on truncation.</summary>
    public static LookupClient Create(IPEndPoint server, bool tcp, int retries = 0, TimeSpan? timeout = null) =>
        new(new LookupClientOptions(new NameServer(server))
        {
            UseCache = false, Recursion = false, ThrowDnsErrors = false, UseTcpOnly = tcp, UseTcpFallback = true,
            Retries = retries, Timeout = timeout ?? TimeSpan.FromSeconds(3),
        });
}
