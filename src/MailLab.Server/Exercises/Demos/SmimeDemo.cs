using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailLab.Server.Certificates;
using MailLab.Server.Smime;
using MimeKit;
using Org.BouncyCastle.Security;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// Exercise 13: the lab's CA certificates fetched over HTTP; a message signed as alice and submitted (valid at
/// bank's MTA); one encrypted for bob (recognised, not opened); then the attacks sent to bank's MTA by hand:
/// the body changed (tampered), mallory's own CA (untrusted-ca), another From (from-mismatch), and alice's
/// certificate revoked (revoked), with the CRL fetched from its distribution point.
/// </summary>
internal sealed class SmimeDemo : IExerciseDemo
{
    public int Number => 13;

    public async Task RunAsync(DemoContext ctx, CancellationToken ct)
    {
        string alice = ctx.User("uc").Address, bob = ctx.User("bank").Address;
        using var http = HttpFrom(ctx.Student);
        string web = WebUrl(ctx);

        ctx.Step("Fetch the lab's CA certificates from its web service");
        foreach (var path in new[] { "/pki/ca.crt", "/pki/user-ca.crt" })
        {
            string pem = await GetAsync(ctx, http, web + path, ct);
            using var c = X509Certificate2.CreateFromPem(pem);
            ctx.Out.WriteLine($"   subject {c.Subject}; issuer {c.Issuer}; CA: {c.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault()?.CertificateAuthority}");
        }

        // What 'maillab smime sign|encrypt|revoke' do: the user CA in the lab's data directory.
        var users = UserCertificateAuthority.LoadOrCreate(LabCertificateAuthority.LoadOrCreate(Path.Combine(ctx.DataDirectory, "certs")), ctx.Lab.Web.CrlUrl);

        ctx.Step($"Sign a message as {alice} and submit it at uc's MSA; bank's MTA verifies it");
        var signed = Submission.Message(alice, bob, "the invoice", "Please pay 100 EUR to account 1234.");
        SmimeComposer.Sign(signed, users, alice);
        string signedText = signed.ToString();
        await Submission.SendAsync(ctx, "uc", signed, ct);
        await ShowVerdictAsync(ctx, bob, signed.MessageId!, ct);

        ctx.Step($"Encrypt a message for {bob} and submit it: the MTA sees for whom and with which cipher, not the content");
        var secret = Submission.Message(alice, bob, "the PIN", "The PIN of the new card is 4711.");
        SmimeComposer.Encrypt(secret, users, [bob]);
        await Submission.SendAsync(ctx, "uc", secret, ct);
        await ShowVerdictAsync(ctx, bob, secret.MessageId!, ct);

        ctx.Step("Change the amount in the signed body and deliver it to bank's MTA by hand");
        await SendToMtaAsync(ctx, alice, bob, signedText.Replace("100 EUR", "10000 EUR", StringComparison.Ordinal), ct);

        ctx.Step($"Be mallory: a CA of your own (named like the user CA) certifies a key for {alice}; sign with it");
        var fake = Submission.Message(alice, bob, "new account", "Please pay 100 EUR to account 6666 (new account).");
        var (chain, key) = MalloryCertificate(alice, "CN=MailLab User CA, O=Mallory");
        SmimeComposer.Sign(fake, chain, key);
        await SendToMtaAsync(ctx, alice, bob, fake.ToString(), ct);

        string dean = "dean@" + ctx.Domain("uc");
        ctx.Step($"Sign as {alice} but put {dean} in the header From (uc.test's DMARC p=none lets it through)");
        var other = Submission.Message(dean, bob, "the invoice", "Please pay 100 EUR to account 1234.");
        SmimeComposer.Sign(other, users, alice);
        await SendToMtaAsync(ctx, dean, bob, other.ToString(), ct);

        ctx.Step($"Revoke {alice}'s certificate, fetch the CRL, and deliver the signed message again");
        if (!users.Revoke(alice, X509RevocationReason.KeyCompromise, out var entry))
        {
            throw new DemoException($"{alice} has no certificate to revoke");
        }
        ctx.Out.WriteLine($"   revoked serial {entry!.Serial} on {entry.RevokedAt.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}");
        await GetAsync(ctx, http, web + "/pki/user-ca.crl", ct, binary: true);
        await SendToMtaAsync(ctx, alice, bob, signedText, ct);
        using var renewed = users.GetOrIssue(alice, out _);
        ctx.Out.WriteLine($"   {alice} has a new certificate (serial {renewed.SerialNumber}) to sign with again.");
    }

    /// <summary>The web service's base URL from listeners.json (role WEB).</summary>
    private static string WebUrl(DemoContext ctx)
    {
        var l = ctx.Listeners.FirstOrDefault(l => l.Role.Equals("WEB", StringComparison.OrdinalIgnoreCase))
            ?? throw new DemoException("the running lab has no web service (web: in the lab file)");
        return $"http://{(l.Address.Contains(':') ? $"[{l.Address}]" : l.Address)}:{l.Port}";
    }

    /// <summary>An HTTP client whose connections come from the student's address, as curl --interface does.</summary>
    private static HttpClient HttpFrom(IPAddress? student) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (student is not null) socket.Bind(new IPEndPoint(student, 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    }) { Timeout = TimeSpan.FromSeconds(30) };

    private static async Task<string> GetAsync(DemoContext ctx, HttpClient http, string url, CancellationToken ct, bool binary = false)
    {
        ctx.Out.WriteLine($"C: GET {url}");
        using var response = await http.GetAsync(url, ct);
        byte[] body = await response.Content.ReadAsByteArrayAsync(ct);
        ctx.Out.WriteLine($"S: {(int)response.StatusCode} {response.ReasonPhrase}, {body.Length} octets");
        if (!response.IsSuccessStatusCode) throw new DemoException($"GET {url} answered {(int)response.StatusCode}");
        return binary ? "" : System.Text.Encoding.ASCII.GetString(body);
    }

    /// <summary>Waits for the delivered copy and shows the verdict header the MTA wrote.</summary>
    private static async Task ShowVerdictAsync(DemoContext ctx, string to, string messageId, CancellationToken ct)
    {
        string delivered = await ctx.WaitForMessageAsync(to, messageId, TimeSpan.FromSeconds(30), ct);
        var verdict = delivered.Split("\r\n").FirstOrDefault(l => l.StartsWith("X-MailLab-SMIME:", StringComparison.OrdinalIgnoreCase))
            ?? throw new DemoException("the delivered message has no X-MailLab-SMIME header: does the MTA verify S/MIME?");
        ctx.Out.WriteLine("   | " + verdict);
    }

    private static async Task SendToMtaAsync(DemoContext ctx, string from, string to, string message, CancellationToken ct)
    {
        var (smtp, greeting) = await LineDialogue.ConnectAsync(ctx.EndPoint("bank", "MTA"), ctx.Student, ctx.Out, ct);
        await using var _ = smtp;
        SmtpByHandDemo.Expect(greeting, 220);
        SmtpByHandDemo.Expect(await smtp.SendAsync("EHLO workstation." + ctx.Domain("evil"), ct), 250);
        SmtpByHandDemo.Expect(await smtp.SendAsync($"MAIL FROM:<{from}>", ct), 250);
        SmtpByHandDemo.Expect(await smtp.SendAsync($"RCPT TO:<{to}>", ct), 250);
        SmtpByHandDemo.Expect(await smtp.SendAsync("DATA", ct), 354);
        SmtpByHandDemo.Expect(await smtp.SendDataAsync(message.TrimEnd('\r', '\n'), ct), 250);
        ctx.Out.WriteLine("   Accepted: S/MIME never refuses mail; the verdict is in the trace and in X-MailLab-SMIME.");
        await smtp.SendAsync("QUIT", ct);
    }

    /// <summary>A CA of mallory's own making and a certificate from it for <paramref name="address"/> (what openssl req -x509 -CA makes).</summary>
    private static (BcCertificate[] Chain, Org.BouncyCastle.Crypto.AsymmetricKeyParameter Key) MalloryCertificate(string address, string caName)
    {
        var now = DateTimeOffset.UtcNow; // one clock reading: the certificate must end before its CA does
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest(caName, caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddHours(-1), now.AddDays(31));
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={address}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.4")], false)); // emailProtection
        var san = new SubjectAlternativeNameBuilder();
        san.AddEmailAddress(address);
        request.CertificateExtensions.Add(san.Build());
        using var leaf = request.Create(ca, now.AddHours(-1), now.AddDays(30), RandomNumberGenerator.GetBytes(8));
        var parser = new Org.BouncyCastle.X509.X509CertificateParser();
        return ([parser.ReadCertificate(leaf.RawData), parser.ReadCertificate(ca.RawData)], DotNetUtilities.GetRsaKeyPair(key.ExportParameters(true)).Private);
    }
}
