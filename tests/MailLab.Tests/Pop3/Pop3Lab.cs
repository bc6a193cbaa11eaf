using MailLab.Tests.Support;

namespace MailLab.Tests.Pop3;

/// <summary>The test lab with POP3 listeners on free ports and the POP3 switches and limits set for tests.</summary>
public static class Pop3Lab
{
    public static TestLab Create(bool plaintextAuth = false, bool apop = false, bool revealSecrets = false,
        string idleTimeout = "10m", string? data = null, int perClient = 20) =>
        TestLab.FromYaml(Yaml(plaintextAuth, apop, revealSecrets, idleTimeout, perClient), revealSecrets, data);

    public static string Yaml(bool plaintextAuth = false, bool apop = false, bool revealSecrets = false, string idleTimeout = "10m", int perClient = 20) =>
        TestLab.LabYaml(plaintextAuth, revealSecrets, perClient: perClient)
            .Replace("  reject-spf-fail: false", $"  reject-spf-fail: false\n  enable-apop: {(apop ? "true" : "false")}")
            // A failed login waits 2 s by default; tests keep it short.
            .Replace("  command-timeout: 5m", $"  command-timeout: 5m\n  auth-failure-delay: 1ms\n  pop3-idle-timeout: {idleTimeout}")
            .Replace("ports: { mta: 0, submission: 0, submissions: 0 }", "ports: { mta: 0, submission: 0, submissions: 0, pop3: 0, pop3s: 0 }");
}
