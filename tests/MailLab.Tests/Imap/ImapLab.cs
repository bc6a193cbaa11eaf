using MailKit.Net.Imap;
using MailKit.Security;
using MailLab.Tests.Support;

namespace MailLab.Tests.Imap;

/// <summary>The test lab with IMAP (STARTTLS) and IMAPS listeners on free ports for uc.test, and MailKit clients for it.</summary>
public static class ImapLab
{
    public static TestLab Start(string? extraLimits = null)
    {
        var yaml = TestLab.LabYaml();
        var at = yaml.IndexOf("ports: { mta: 0, submission: 0, submissions: 0 }", StringComparison.Ordinal);
        yaml = yaml[..at] + "ports: { mta: 0, submission: 0, submissions: 0, imap: 0, imaps: 0 }" + yaml[(at + 48)..];
        if (extraLimits is not null)
        {
            yaml = yaml.Replace("  command-timeout:", extraLimits + "\n  command-timeout:");
        }
        return TestLab.FromYaml(yaml).Start();
    }

    public static async Task<ImapClient> ConnectAsync(TestLab lab, bool implicitTls = false, string user = "alice@uc.test", string password = "lab-alice")
    {
        var endpoint = lab.Runtime!.EndPoint("uc", "IMAP", implicitTls ? "implicit" : "starttls");
        var client = new ImapClient { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false, Timeout = 20_000 };
        await client.ConnectAsync(endpoint.Address.ToString(), endpoint.Port, implicitTls ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(user, password);
        return client;
    }
}
