using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using MailLab.Server.Certificates;

namespace MailLab.Tests.Certificates;

/// <summary>A real TLS handshake over loopback with a lab server certificate, the client trusting only the lab CA.</summary>
public sealed class TlsHandshakeTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TempDirectory _otherDir = new();

    public void Dispose()
    {
        _dir.Dispose();
        _otherDir.Dispose();
    }

    private static RemoteCertificateValidationCallback TrustOnly(X509Certificate2 root) => (_, certificate, _, errors) =>
    {
        // A name mismatch or a missing certificate is never forgiven; chain errors are ours to judge.
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using X509Certificate2 leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return TestChains.ChainsTo(root, leaf);
    };

    /// <summary>Runs both sides of a handshake; returns the client's view, or throws the client's error.</summary>
    private static async Task<(SslProtocols Protocol, string Thumbprint, int Echo)> HandshakeAsync(
        X509Certificate2 serverCertificate, X509Certificate2 trustedRoot, string targetHost)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            Task<TcpClient> accept = listener.AcceptTcpClientAsync(timeout.Token).AsTask();
            using var clientTcp = new TcpClient();
            await clientTcp.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            using TcpClient serverTcp = await accept;

            await using var server = new SslStream(serverTcp.GetStream());
            await using var client = new SslStream(clientTcp.GetStream());
            Task serverSide = Task.Run(async () =>
            {
                await server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = serverCertificate }, timeout.Token);
                byte[] one = new byte[1];
                await server.ReadExactlyAsync(one, timeout.Token);
                await server.WriteAsync(new[] { (byte)(one[0] + 1) }, timeout.Token);
            }, timeout.Token);

            try
            {
                await client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = targetHost,
                    RemoteCertificateValidationCallback = TrustOnly(trustedRoot),
                }, timeout.Token);
            }
            catch
            {
                clientTcp.Close(); // let the server side fail too, then report the client's error
                await Assert.ThrowsAnyAsync<Exception>(() => serverSide);
                throw;
            }

            await client.WriteAsync(new byte[] { 41 }, timeout.Token);
            byte[] reply = new byte[1];
            await client.ReadExactlyAsync(reply, timeout.Token);
            await serverSide;
            return (client.SslProtocol, client.RemoteCertificate!.GetCertHashString(), reply[0]);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Theory]
    [InlineData("mx.uc.test")]
    [InlineData("mail.uc.test")]
    [InlineData("127.0.0.1")] // openssl s_client -connect 127.0.0.1:... checks the IP SAN
    public async Task ClientTrustingOnlyTheLabCaCompletesTheHandshake(string targetHost)
    {
        var ca = LabCertificateAuthority.LoadOrCreate(_dir.Path);
        X509Certificate2 certificate = ca.GetOrCreateServerCertificate("uc", ["mx.uc.test", "mail.uc.test"], [IPAddress.Loopback]);

        (SslProtocols protocol, string thumbprint, int echo) = await HandshakeAsync(certificate, ca.Certificate, targetHost);

        Assert.True(protocol >= SslProtocols.Tls12);
        Assert.Equal(certificate.Thumbprint, thumbprint);
        Assert.Equal(42, echo);
    }

    [Fact]
    public async Task ReloadedCertificateStillWorksForTheServer()
    {
        LabCertificateAuthority.LoadOrCreate(_dir.Path).GetOrCreateServerCertificate("uc", ["mx.uc.test"], [IPAddress.Loopback]);
        var restarted = LabCertificateAuthority.LoadOrCreate(_dir.Path);
        X509Certificate2 fromDisk = restarted.GetOrCreateServerCertificate("uc", ["mx.uc.test"], [IPAddress.Loopback]);

        (_, string thumbprint, int echo) = await HandshakeAsync(fromDisk, restarted.Certificate, "mx.uc.test");
        Assert.Equal(fromDisk.Thumbprint, thumbprint);
        Assert.Equal(42, echo);
    }

    [Fact]
    public async Task ClientTrustingAnotherCaRejectsTheServer()
    {
        var ca = LabCertificateAuthority.LoadOrCreate(_dir.Path);
        var stranger = LabCertificateAuthority.LoadOrCreate(_otherDir.Path);
        X509Certificate2 certificate = ca.GetOrCreateServerCertificate("uc", ["mx.uc.test"], [IPAddress.Loopback]);

        await Assert.ThrowsAsync<AuthenticationException>(() => HandshakeAsync(certificate, stranger.Certificate, "mx.uc.test"));
    }

    [Fact]
    public async Task ClientAskingForAnotherHostRejectsTheServer()
    {
        var ca = LabCertificateAuthority.LoadOrCreate(_dir.Path);
        X509Certificate2 certificate = ca.GetOrCreateServerCertificate("uc", ["mx.uc.test"], [IPAddress.Loopback]);

        await Assert.ThrowsAsync<AuthenticationException>(() => HandshakeAsync(certificate, ca.Certificate, "mx.bank.test"));
    }
}
