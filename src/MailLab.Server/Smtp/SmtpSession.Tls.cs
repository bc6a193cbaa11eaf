using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using System.Text;
using MailLab.Protocols.Smtp;
using MailLab.Server.Delivery;
using MailLab.Server.Trace;

namespace MailLab.Server.Smtp;

// STARTTLS (RFC 3207) and implicit TLS (RFC 8314).
public sealed partial class SmtpSession
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(30);

    private async Task StartTlsAsync(SmtpCommand command)
    {
        if (tls is not null)
        {
            Error(503, "5.5.1", "TLS already active");
            return;
        }
        if (!string.IsNullOrEmpty(command.Argument))
        {
            Error(501, "5.5.4", "Syntax: STARTTLS (no parameters)"); // RFC 3207 §4
            return;
        }
        Reply(220, "2.0.0", "Ready to start TLS");
        await FlushAsync();

        // RFC 3207 §5 and STYLE.md 8: anything the client sent after STARTTLS, before the handshake,
        // is plaintext that an attacker may have injected; it must not be executed after TLS.
        if (reader.TryRead(out var pending) && pending.Buffer.Length > 0)
        {
            var length = pending.Buffer.Length;
            var raw = Encoding.UTF8.GetString(System.Buffers.BuffersExtensions.ToArray(pending.Buffer.Slice(0, Math.Min(length, 120))));
            var preview = raw.Contains("AUTH", StringComparison.OrdinalIgnoreCase) ? trace.Secret(raw) : raw;
            reader.AdvanceTo(pending.Buffer.End);
            trace.Emit(TraceKind.PlaintextInjection,
                $"discarded {length} octets of plaintext pipelined after STARTTLS (possible command injection): {preview.ReplaceLineEndings("\\r\\n")}",
                ("Octets", length), ("Preview", preview));
        }
        await reader.CompleteAsync();
        if (!await HandshakeAsync())
        {
            closing = true;
            return;
        }
        // RFC 3207 §4.2: forget everything learnt before TLS; the client must EHLO again.
        state = SmtpState.Connected;
        helo = null;
        esmtp = false;
        envelope = null;
        user = null;
    }

    /// <summary>Server-side TLS handshake on the current transport; false if it failed.</summary>
    private async Task<bool> HandshakeAsync()
    {
        trace.Emit(TraceKind.TlsStarted, "TLS handshake started", ("Implicit", profile.ImplicitTls));
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
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
            closeReason = $"TLS handshake failed: {ex.Message}";
            trace.Emit(TraceKind.TlsFailed, closeReason, ("Reason", ex.Message));
            await ssl.DisposeAsync();
            return false;
        }
        tls = ssl;
        stream = ssl;
        reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true));
        framer = new SmtpLineFramer(protocolLimits.MaxCommandLine);
        tlsDetails = Describe(ssl);
        trace.Emit(TraceKind.TlsEstablished,
            $"TLS established: {tlsDetails.Version} {tlsDetails.Cipher} ({tlsDetails.Bits} bits), certificate {site.Certificate.Subject}",
            ("Version", tlsDetails.Version), ("Cipher", tlsDetails.Cipher), ("Bits", tlsDetails.Bits),
            ("Certificate", site.Certificate.Subject));
        return true;
    }

    internal static TlsDetails Describe(SslStream ssl)
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
}
