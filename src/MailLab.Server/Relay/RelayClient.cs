using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailLab.Server.Lab;
using MailLab.Server.Sites;
using MailLab.Server.Trace;
using MimeKit;

namespace MailLab.Server.Relay;

/// <summary>
/// The MTA as a client: delivers one queue entry's recipients at one domain. Resolves the MX,
/// tries the hosts in preference order (RFC 5321 §5.1), connects from the sending site's own
/// address, uses STARTTLS when offered (opportunistic, RFC 3207 / RFC 7435) and reports a result
/// per recipient. It never throws for network or SMTP outcomes; they are results.
/// </summary>
internal sealed partial class RelayClient
{
    private static long sessions;
    private readonly Func<LabSite, IMxResolver> resolverFor;
    private readonly Func<IPAddress, int?> relayPortFor;
    private readonly RelaySettings settings;
    private readonly X509Certificate2 labCa;

    /// <summary>Creates a client; <paramref name="relayPortFor"/> gives a lab site's MTA port for its address, else null.</summary>
    public RelayClient(IMxResolver resolver, Func<IPAddress, int?> relayPortFor, RelaySettings settings, X509Certificate2 labCa)
        : this(_ => resolver, relayPortFor, settings, labCa)
    {
    }

    /// <summary>A client whose MX lookups for a site's queue go through <paramref name="resolverFor"/>(site): each site's own resolver.</summary>
    public RelayClient(Func<LabSite, IMxResolver> resolverFor, Func<IPAddress, int?> relayPortFor, RelaySettings settings, X509Certificate2 labCa)
    {
        this.resolverFor = resolverFor;
        this.relayPortFor = relayPortFor;
        this.settings = settings;
        this.labCa = labCa;
    }

    /// <summary>The lab's routes: where a connection to a next hop really goes (bent by the <c>strip-starttls</c> attack).</summary>
    public LabRoutes Routes { get; init; } = new();

    /// <summary>How long a TCP connect may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Delivers <paramref name="recipients"/> (all at <paramref name="domain"/>) of the entry whose content is at <paramref name="messagePath"/>.</summary>
    public async Task<IReadOnlyList<AttemptResult>> DeliverAsync(LabSite site, QueueEntry entry, string domain,
        IReadOnlyList<string> recipients, string messagePath, CancellationToken ct)
    {
        var qtrace = site.Tracer.ForLab(LabOrigin.Relay, site.Name, TraceRole.QUEUE).WithMessage(entry.Id);
        MxLookup lookup;
        try
        {
            lookup = await resolverFor(site).ResolveAsync(domain, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            lookup = new TempError(ex.Message);
        }
        var hosts = lookup is MxHosts mx ? mx.Ordered.ToList() : [];
        qtrace.Emit(TraceKind.RelayAttempt, $"MX lookup {domain}: {Describe(lookup)}",
            ("Step", "mx-lookup"), ("Domain", domain), ("Outcome", lookup.Outcome),
            ("Hosts", hosts.Select(h => $"{h.Preference} {h.Name} {string.Join(" ", h.Addresses)}").ToArray()),
            ("Recipients", recipients.ToArray()));

        switch (lookup)
        {
            case NullMx:
                // RFC 7505 §4.1: a null MX means the domain takes no mail; fail without retrying.
                return All(recipients, AttemptKind.Permanent, "556 5.1.10 Recipient address has null MX", "5.1.10", $"{domain} has a null MX (RFC 7505)", null);
            case NoSuchDomain n:
                return All(recipients, AttemptKind.Permanent, "550 5.1.2 Host or domain name not found", "5.1.2", $"{domain}: no such domain ({Describe(n)})", null);
            case TempError t:
                return All(recipients, AttemptKind.Temporary, "451 4.4.3 DNS temporary failure", "4.4.3", $"MX lookup for {domain} failed: {t.Reason}", null);
        }
        if (hosts.Count == 0 || hosts.All(h => h.Addresses.Count == 0))
        {
            return All(recipients, AttemptKind.Temporary, "451 4.4.4 No address for any mail exchanger", "4.4.4", $"no MX host of {domain} has an address", null);
        }

        // The domain's MTA-STS policy once per attempt (RFC 8461 §5.1 caching lives in the source); DANE per host.
        var sts = await StsAsync(site, domain, qtrace, ct).ConfigureAwait(false);
        var mxStatus = ((MxHosts)lookup).Dnssec;
        IReadOnlyList<AttemptResult>? last = null;
        foreach (var host in hosts)
        {
            foreach (var address in host.Addresses)
            {
                var (tryNext, results) = await TryHostAsync(site, entry, domain, host, mxStatus, sts, address, recipients, messagePath, ct).ConfigureAwait(false);
                if (!tryNext) return results;
                last = results;
            }
        }
        return last!;
    }

    private async Task<(bool TryNext, IReadOnlyList<AttemptResult> Results)> TryHostAsync(LabSite site, QueueEntry entry, string domain, MxHost host,
        Dns.DnssecStatus mxStatus, MtaStsLookup sts, IPAddress address, IReadOnlyList<string> recipients, string messagePath, CancellationToken ct)
    {
        var trace = site.Tracer.ForLab(LabOrigin.Relay, site.Name, TraceRole.MTA, "R" + Interlocked.Increment(ref sessions)).WithMessage(entry.Id);
        var local = site.Definition.IPAddress;
        var port = relayPortFor(address) ?? settings.RelayPort;
        var remote = new IPEndPoint(address, port);
        var decision = await DecideAsync(site, entry, domain, host, mxStatus, sts, trace, ct).ConfigureAwait(false);
        if (decision.DeferReason is { } deferred)
        {
            // RFC 7672 §2.2 / RFC 8461 §5: this host may not be used; another MX may be, else the mail waits.
            PolicyResult(trace, decision, domain, host.Name, "defer", decision.FailureType, deferred);
            return (true, All(recipients, AttemptKind.Temporary, $"451 4.7.5 {host.Name}: {deferred}", "4.7.5", $"TLS policy {decision.PolicyName}: {deferred}", host.Name));
        }
        trace.Emit(TraceKind.RelayAttempt, $"connecting from {local} to {host.Name} {remote} (MX {host.Preference})",
            ("Step", "connect"), ("From", local.ToString()), ("To", remote.ToString()), ("Host", host.Name), ("Preference", host.Preference));
        if (local.AddressFamily != address.AddressFamily)
        {
            return (true, All(recipients, AttemptKind.Temporary, "451 4.4.1 No route to host", "4.4.1", $"{address}: not reachable from {local} (address family)", host.Name));
        }

        string? peerSubject = null;
        bool verified = false;
        CertificateVerdict? verdict = null;
        using var client = new OutboundSmtpClient(new RelayProtocolLogger(trace))
        {
            LocalDomain = site.HostName, // EHLO name = the site's primary host name
            Timeout = 60_000,
            CheckCertificateRevocation = false,
            ServerCertificateValidationCallback = (_, cert, chain, errors) =>
            {
                (peerSubject, verified) = Verify(cert, errors);
                verdict = CheckPeer(decision, host.Name, cert, chain);
                // Opportunistic TLS (RFC 7435 §1.3) encrypts even when unauthenticated; DANE and MTA-STS enforce refuse.
                return verdict.Passed || !decision.Enforced;
            },
        };
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        IDisposable? ownRelay = null;
        try
        {
            // Bind to the site's own address so the next hop (and SPF later) sees the right client IP.
            // No SO_REUSEADDR: while this socket holds the port no other may bind it, which is what lets
            // the lab's listeners recognise the registered end point as the lab's own relay.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, false);
            socket.Bind(new IPEndPoint(local, 0));
            ownRelay = LabRelayConnections.Register((IPEndPoint)socket.LocalEndPoint!);
            using (var connect = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                connect.CancelAfter(ConnectTimeout);
                await socket.ConnectAsync(Routes.NextHop(local, remote), connect.Token).ConfigureAwait(false);
            }
            // RFC 7672 §2.2, RFC 8461 §5: TLS mandatory means STARTTLS or no delivery (MailKit refuses to go on without it).
            await client.ConnectAsync(socket, host.Name, port, decision.TlsRequired ? SecureSocketOptions.StartTls : SecureSocketOptions.StartTlsWhenAvailable, ct)
                .ConfigureAwait(false);
            socket = null!; // owned by the client now
            AfterTls(trace, decision, domain, host.Name, client.IsSecure, verdict);
            if (client.IsSecure)
            {
                trace.Emit(TraceKind.TlsEstablished,
                    $"outbound TLS to {host.Name}: {client.SslProtocol} {client.SslCipherSuite}, peer {peerSubject}{(verified ? " (verified by the lab CA)" : " (NOT verified)")}",
                    ("Direction", "outbound"), ("Version", client.SslProtocol.ToString()), ("Cipher", client.SslCipherSuite?.ToString()),
                    ("PeerSubject", peerSubject), ("Verified", verified), ("Host", host.Name));
            }
            if (RequireTlsPolicy.Check(entry, client, verified, host.Name, recipients, trace) is { } refused)
            {
                await QuitAsync(client, ct).ConfigureAwait(false);
                return (true, refused); // another MX may qualify (RFC 8689 §4.2.1); if none, these 5.7.30 results stand
            }
            var message = await StoredOctets.LoadAsync(messagePath, ct).ConfigureAwait(false);
            var options = FormatOptions.Default.Clone();
            options.NewLineFormat = NewLineFormat.Dos;
            options.International = entry.Utf8;
            var sender = new MailboxAddress("", entry.MailFrom);
            try
            {
                var final = await client.SendAsync(options, message, sender, recipients.Select(r => new MailboxAddress("", r)), ct).ConfigureAwait(false);
                var results = recipients.Select(r => client.RecipientReplies.TryGetValue(r, out var rr) && (int)rr.StatusCode >= 300
                    ? FromReply(r, (int)rr.StatusCode, rr.Response, host.Name)
                    : FromReply(r, 250, final, host.Name)).ToList();
                return (false, results);
            }
            catch (NoRecipientsAcceptedException)
            {
                var results = recipients.Select(r => client.RecipientReplies.TryGetValue(r, out var rr)
                    ? FromReply(r, (int)rr.StatusCode, rr.Response, host.Name)
                    : FromReply(r, 451, "4.3.0 no reply to RCPT", host.Name)).ToList();
                return (false, results);
            }
            finally
            {
                await QuitAsync(client, ct).ConfigureAwait(false);
            }
        }
        catch (SmtpCommandException ex)
        {
            // A whole-transaction refusal (greeting, MAIL or DATA). RCPT-level refusals keep their own reply.
            var code = (int)ex.StatusCode;
            var results = recipients.Select(r => client.RecipientReplies.TryGetValue(r, out var rr) && (int)rr.StatusCode >= 400
                ? FromReply(r, (int)rr.StatusCode, rr.Response, host.Name)
                : FromReply(r, code, ex.Message, host.Name)).ToList();
            // RFC 5321 §5.1: on a transient failure try the next MX; a 5xx is final.
            return (code is >= 400 and < 500, results);
        }
        catch (NotSupportedException) when (decision.TlsRequired && !client.IsSecure)
        {
            // MailKit: "The SMTP server does not support the STARTTLS extension." (RFC 3207): no TLS, no delivery.
            var reason = $"{host.Name} does not offer STARTTLS, and TLS policy {decision.PolicyName} requires it";
            PolicyResult(trace, decision, domain, host.Name, "defer", "starttls-not-supported", reason);
            return (true, All(recipients, AttemptKind.Temporary, $"451 4.7.4 {reason}", "4.7.4", reason, host.Name));
        }
        catch (SslHandshakeException) when (verdict is { Passed: false } && decision.Enforced)
        {
            var reason = $"TLS policy {decision.PolicyName}: {verdict.Detail}";
            PolicyResult(trace, decision, domain, host.Name, "defer", verdict.FailureType, verdict.Detail);
            return (true, All(recipients, AttemptKind.Temporary, $"451 4.7.5 {host.Name}: {verdict.Detail}", "4.7.5", reason, host.Name));
        }
        catch (Exception ex) when (ex is SocketException or IOException or SmtpProtocolException or SslHandshakeException
            or ServiceNotConnectedException or TimeoutException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            var reason = ex is OperationCanceledException ? "connection timed out" : ex.Message;
            trace.Emit(TraceKind.RelayAttempt, $"connection to {host.Name} {remote} failed: {reason}",
                ("Step", "connect-failed"), ("From", local.ToString()), ("To", remote.ToString()), ("Host", host.Name), ("Reason", reason));
            return (true, All(recipients, AttemptKind.Temporary, $"451 4.4.1 {host.Name} [{address}]:{port}: {reason}", "4.4.1",
                $"cannot talk to {host.Name} {remote}: {reason}", host.Name));
        }
        finally
        {
            ownRelay?.Dispose(); // the connection is over (or about to close with the client)
            socket?.Dispose();
        }
    }

    private (string? Subject, bool Verified) Verify(System.Security.Cryptography.X509Certificates.X509Certificate? cert, SslPolicyErrors errors)
    {
        if (cert is null) return (null, false);
        using var c2 = cert as X509Certificate2 is { } x ? null : X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
        var leaf = cert as X509Certificate2 ?? c2!;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(labCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var ok = chain.Build(leaf) && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
        return (leaf.Subject, ok);
    }

    private static async Task QuitAsync(SmtpClient client, CancellationToken ct)
    {
        try
        {
            // The message is delivered by now; a stop must not wait for a slow QUIT reply.
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromSeconds(5));
            await client.DisconnectAsync(true, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SmtpProtocolException or SmtpCommandException or OperationCanceledException or ServiceNotConnectedException)
        {
        }
    }

    /// <summary>A result from an SMTP reply code and text; the enhanced code comes from the text when present.</summary>
    internal static AttemptResult FromReply(string rcpt, int code, string text, string? host)
    {
        text = text.ReplaceLineEndings(" ").Trim();
        var m = Enhanced().Match(text);
        var status = m.Success ? m.Value : $"{code / 100}.0.0";
        var kind = code < 300 ? AttemptKind.Delivered : code < 500 ? AttemptKind.Temporary : AttemptKind.Permanent;
        var reply = $"{code} {text}";
        return new AttemptResult(rcpt, kind, reply, status, $"{host} said: {reply}", host);
    }

    private static List<AttemptResult> All(IEnumerable<string> rcpts, AttemptKind kind, string reply, string status, string reason, string? host) =>
        rcpts.Select(r => new AttemptResult(r, kind, reply, status, reason, host)).ToList();

    private static string Describe(MxLookup lookup) => lookup switch
    {
        MxHosts h => string.Join(", ", h.Ordered.Select(x => $"MX {x.Preference} {x.Name} ({string.Join(" ", x.Addresses)})")),
        NullMx => "null MX (RFC 7505): accepts no mail",
        // Says what the DNS said, so the queue and the DNS log agree.
        NoSuchDomain { Rcode: "REFUSED" } => "REFUSED: outside every lab zone, so no such domain in the lab",
        NoSuchDomain n => n.Rcode,
        TempError t => $"temporary error: {t.Reason}",
        _ => lookup.Outcome,
    };

    [GeneratedRegex(@"^[245]\.\d{1,3}\.\d{1,3}(?=\s|$)")]
    private static partial Regex Enhanced();
}
