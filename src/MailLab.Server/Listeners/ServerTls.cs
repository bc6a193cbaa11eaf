using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using System.Text;
using MailLab.Server.Delivery;
using MailLab.Server.Sites;
using MailLab.Server.Trace;

namespace MailLab.Server.Listeners;

/// <summary>
/// The server side of TLS for every protocol that upgrades a connection (SMTP STARTTLS, POP3 STLS,
/// IMAP STARTTLS) or starts in TLS (RFC 8314): the handshake with the site's lab-CA certificate and
/// the plaintext-injection discard, with their trace events.
/// </summary>
internal static class ServerTls
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// STYLE.md 8 (RFC 3207 §5, RFC 2595 §4): whatever the client pipelined after the upgrade
    /// command is plaintext an attacker may have injected; it is thrown away and traced, never run.
    /// </summary>
    public static void DiscardPipelined(PipeReader reader, TraceContext trace, string command)
    {
        if (!reader.TryRead(out var pending) || pending.Buffer.Length == 0)
        {
            return;
        }
        var length = pending.Buffer.Length;
        var raw = Encoding.UTF8.GetString(pending.Buffer.Slice(0, Math.Min(length, 120)).ToArray());
        // A lone base64 line is a SASL response sent ahead of its challenge: as secret as the verbs.
        bool secret = raw.Contains("AUTH", StringComparison.OrdinalIgnoreCase) || raw.Contains("PASS", StringComparison.OrdinalIgnoreCase)
            || raw.Contains("APOP", StringComparison.OrdinalIgnoreCase) || raw.Contains("LOGIN", StringComparison.OrdinalIgnoreCase)
            || raw.Split('\n').Any(line => SecretRedaction.IsCredentialBlob(line.Trim()));
        var preview = secret ? trace.Secret(raw) : raw;
        reader.AdvanceTo(pending.Buffer.End);
        trace.Emit(TraceKind.PlaintextInjection,
            $"discarded {length} octets of plaintext pipelined after {command} (possible command injection): {preview.ReplaceLineEndings("\\r\\n")}",
            ("Octets", length), ("Preview", preview));
    }

    /// <summary>Server-side handshake over <paramref name="transport"/>; null (traced as TlsFailed) if it failed.</summary>
    public static async Task<(SslStream? Tls, string? Error)> HandshakeAsync(Stream transport, LabSite site, TraceContext trace, bool implicitTls)
    {
        trace.Emit(TraceKind.TlsStarted, "TLS handshake started", ("Implicit", implicitTls));
        var ssl = new SslStream(transport, leaveInnerStreamOpen: false);
        try
        {
            using var cts = new CancellationTokenSource(HandshakeTimeout);
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = site.CertificateContext,
                ClientCertificateRequired = false,
            }, cts.Token);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException)
        {
            var reason = $"TLS handshake failed: {ex.Message}";
            trace.Emit(TraceKind.TlsFailed, reason, ("Reason", ex.Message));
            await ssl.DisposeAsync();
            return (null, reason);
        }
        var details = Describe(ssl);
        trace.Emit(TraceKind.TlsEstablished,
            $"TLS established: {details.Version} {details.Cipher} ({details.Bits} bits), certificate {site.Certificate.Subject}",
            ("Version", details.Version), ("Cipher", details.Cipher), ("Bits", details.Bits),
            ("Certificate", site.Certificate.Subject));
        return (ssl, null);
    }

    /// <summary>Protocol version, cipher suite and key size of an established TLS session.</summary>
    public static TlsDetails Describe(SslStream ssl)
    {
        var version = ssl.SslProtocol switch
        {
            SslProtocols.Tls13 => "TLS1_3",
            SslProtocols.Tls12 => "TLS1_2",
            var other => other.ToString(),
        };
        var cipher = ssl.NegotiatedCipherSuite.ToString();
        // Symmetric key size, from the suite's name (SslStream.CipherStrength is obsolete).
        var bits = cipher.Contains("AES_128", StringComparison.Ordinal) ? 128
            : cipher.Contains("AES_256", StringComparison.Ordinal) || cipher.Contains("CHACHA20", StringComparison.Ordinal) ? 256
            : 0;
        return new TlsDetails(version, cipher, bits);
    }

    /// <summary>Sends TLS close_notify so clients see a clean end, not a truncation (RFC 8446 §6.1).</summary>
    public static async Task ShutdownQuietlyAsync(SslStream? tls)
    {
        if (tls is null) return;
        try
        {
            await tls.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }
}
