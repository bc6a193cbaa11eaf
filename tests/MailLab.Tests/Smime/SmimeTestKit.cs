using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailLab.Server.Certificates;
using MailLab.Server.Smime;
using MailLab.Tests.Support;
using MimeKit;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace MailLab.Tests.Smime;

/// <summary>S/MIME helpers for tests: the lab's user CA of a test lab, mallory's own CA, and sending over real SMTP.</summary>
internal static class SmimeTestKit
{
    public static UserCertificateAuthority Users(TestLab lab) =>
        UserCertificateAuthority.LoadOrCreate(LabCertificateAuthority.LoadOrCreate(Path.Combine(lab.DataDirectory, "certs")), lab.Definition.Web.CrlUrl);

    public static MimeMessage Message(string from, string to, string subject, string text = "Meet me at noon.\r\nBring the figures.\r\n")
    {
        var m = new MimeMessage();
        m.From.Add(MailboxAddress.Parse(from));
        m.To.Add(MailboxAddress.Parse(to));
        m.Subject = subject;
        m.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("test.invalid");
        m.Body = new TextPart("plain") { Text = text };
        return m;
    }

    /// <summary>The message as CRLF octets (what goes over SMTP).</summary>
    public static byte[] Bytes(MimeMessage m)
    {
        using var s = new MemoryStream();
        m.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, s);
        return s.ToArray();
    }

    /// <summary>
    /// A CA of mallory's own making (self-signed, as anyone can make one) and a certificate it issues for
    /// <paramref name="address"/>; <paramref name="caName"/> lets it copy the lab user CA's name.
    /// </summary>
    public static (BcCertificate[] Chain, AsymmetricKeyParameter Key) MalloryCertificate(string address, string caName = "CN=Mallory Trust Services")
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest(caName, caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddYears(1));
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={address}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.4")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddEmailAddress(address);
        request.CertificateExtensions.Add(san.Build());
        using var leaf = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMonths(6), [0x42, 0x17]);
        var parser = new Org.BouncyCastle.X509.X509CertificateParser();
        return ([parser.ReadCertificate(leaf.RawData), parser.ReadCertificate(ca.RawData)], DotNetUtilities.GetRsaKeyPair(key.ExportParameters(true)).Private);
    }

    /// <summary>Sends raw octets to bank's MTA from <paramref name="from"/> (a site's address); returns the reply to the end of DATA.</summary>
    public static async Task<string> SendToBankMta(TestLab lab, byte[] message, string mailFrom, string rcpt = "bob@bank.test", string from = "127.0.1.1")
    {
        var mta = lab.Runtime!.EndPoint("bank", "MTA");
        using var client = new SmtpClient { Timeout = 20_000, LocalEndPoint = new IPEndPoint(IPAddress.Parse(from), 0) };
        await client.ConnectAsync(mta.Address.ToString(), mta.Port, SecureSocketOptions.None);
        using var parsed = new MemoryStream(message);
        var m = await MimeMessage.LoadAsync(parsed);
        var reply = await client.SendAsync(m, MailboxAddress.Parse(mailFrom), [MailboxAddress.Parse(rcpt)]);
        await client.DisconnectAsync(true);
        return reply;
    }

    /// <summary>Submits a message as <paramref name="user"/> to its site's MSA (STARTTLS, AUTH).</summary>
    public static async Task SubmitAsync(TestLab lab, string site, string user, string password, MimeMessage m)
    {
        var msa = lab.Runtime!.EndPoint(site, "MSA", "starttls");
        using var client = new SmtpClient { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false, Timeout = 20_000 };
        await client.ConnectAsync(msa.Address.ToString(), msa.Port, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(user, password);
        await client.SendAsync(m);
        await client.DisconnectAsync(true);
    }

    /// <summary>The stored message in <paramref name="user"/>'s INBOX whose Subject is <paramref name="subject"/>.</summary>
    public static async Task<string> Stored(TestLab lab, string user, string subject)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            foreach (var id in await lab.Store.ListAsync(user, "INBOX", default))
            {
                await using var s = (await lab.Store.OpenReadAsync(id, default))!;
                var text = await new StreamReader(s).ReadToEndAsync();
                if (text.Contains($"\r\nSubject: {subject}\r\n", StringComparison.Ordinal)) return text;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no message '{subject}' in {user}'s INBOX");
            await Task.Delay(20);
        }
    }

    /// <summary>The value of the X-MailLab-SMIME header of a stored message (unfolded).</summary>
    public static string SmimeHeader(string stored)
    {
        var start = stored.IndexOf("\r\nX-MailLab-SMIME: ", StringComparison.Ordinal);
        if (start < 0 && stored.StartsWith("X-MailLab-SMIME: ", StringComparison.Ordinal)) start = -2;
        Assert.True(start >= -2, "no X-MailLab-SMIME header");
        var from = start + 2 + "X-MailLab-SMIME: ".Length;
        var end = stored.IndexOf("\r\n", from, StringComparison.Ordinal);
        while (end + 2 < stored.Length && stored[end + 2] is ' ' or '\t') end = stored.IndexOf("\r\n", end + 2, StringComparison.Ordinal);
        return stored[from..end].Replace("\r\n", "");
    }
}
