using System.Text.Json.Nodes;
using MailLab.Server.Trace;
using MailLab.Tests.Interop;
using MailLab.Tests.Support;

namespace MailLab.Tests.Web;

/// <summary>
/// Debian's Thunderbird (headless, over Marionette) reads the lab's autoconfig file with its own account-wizard code
/// (FetchConfig: the ISP lookup URLs, then the ISP database form that <c>mailnews.auto_config_url</c> points at), then
/// logs in to every incoming server it found as the wizard's last step does (ConfigVerifier).
/// </summary>
public class AutoconfigThunderbirdTests
{
    // Thunderbird's FetchConfig and readFromXML, as the wizard calls them; the servers as Thunderbird understood them.
    private const string Script = """
        const resolve = arguments[arguments.length - 1];
        (async () => {
          const { FetchConfig } = ChromeUtils.importESModule("resource:///modules/accountcreation/FetchConfig.sys.mjs");
          const socket = t => t == Ci.nsMsgSocketType.SSL ? "SSL" : t == Ci.nsMsgSocketType.alwaysSTARTTLS ? "STARTTLS" : "other " + t;
          const auth = a => a == Ci.nsMsgAuthMethod.passwordCleartext ? "password-cleartext" : "other " + a;
          const list = c => [c.incoming, ...c.incomingAlternatives, c.outgoing, ...c.outgoingAlternatives].map(s =>
            ({ type: s.type, host: s.hostname, port: s.port, socketType: socket(s.socketType), auth: auth(s.auth), username: s.username }));
          const isp = await FetchConfig.fromISP("bank.test", "bob@bank.test", new AbortController().signal);
          const db = await FetchConfig.fromDB("bank.test", new AbortController().signal);
          const found = { isp: list(isp), db: list(db) };
          // The wizard's last step: log in to each incoming server found, as bob (ConfigVerifier, alter=false: as given).
          // From here on every name Thunderbird resolves (mail.bank.test) is bank's address, as the lab DNS answers.
          Services.prefs.setStringPref("network.dns.forceResolve", "BANK_ADDRESS");
          Cc["@mozilla.org/security/x509certdb;1"].getService(Ci.nsIX509CertDB).addCertFromBase64("LAB_CA", "C,C,C");
          const { ConfigVerifier } = ChromeUtils.importESModule("resource:///modules/accountcreation/ConfigVerifier.sys.mjs");
          const msgWindow = Cc["@mozilla.org/messenger/msgwindow;1"].createInstance(Ci.nsIMsgWindow);
          const logins = [];
          for (const server of [isp.incoming, ...isp.incomingAlternatives]) {
            const config = isp.copy();
            config.incoming = server;
            config.incoming.username = "bob@bank.test";
            config.incoming.password = "lab-bob";
            config.identity.emailAddress = "bob@bank.test";
            try {
              await new ConfigVerifier(msgWindow, new AbortController().signal).verifyConfig(config, false);
              logins.push(`${server.type} ${server.port} ok`);
            } catch (e) {
              logins.push(`${server.type} ${server.port} ${e.message} ${e.stack}`);
            }
          }
          return JSON.stringify({ ...found, logins });
        })().then(resolve, e => resolve("error: " + e));
        """;

    [Fact]
    public async Task Thunderbird_finds_the_labs_servers_at_its_lookup_url_and_in_the_isp_database_form_and_logs_in_with_them()
    {
        await using var lab = AutoconfigTests.StartLab();
        var runtime = lab.Runtime!;
        var web = runtime.Web!.EndPoint;
        // The lab web is Thunderbird's HTTP proxy: it stands in for the lab DNS (autoconfig.bank.test A = the web's address),
        // so Thunderbird asks the very URL http://autoconfig.bank.test/mail/config-v1.1.xml?emailaddress=... of the wizard.
        await using var thunderbird = await HeadlessThunderbird.Start(new Dictionary<string, object>
        {
            ["mailnews.auto_config_url"] = runtime.Web.Url + "/v1.1/",
            ["mailnews.auto_config.fetchFromISP.sslOnly"] = false,
            ["network.proxy.type"] = 1,
            ["network.proxy.http"] = web.Address.ToString(),
            ["network.proxy.http_port"] = web.Port,
            ["network.proxy.no_proxies_on"] = "",
            ["network.proxy.allow_hijacking_localhost"] = true,
            ["mail.shell.checkDefaultClient"] = false,
            ["datareporting.policy.dataSubmissionEnabled"] = false,
        });
        string value = (string?)await thunderbird.Run(Script.Replace("LAB_CA", Convert.ToBase64String(TestPki.Ca.Certificate.RawData))
            .Replace("BANK_ADDRESS", lab.Site("bank").Definition.Address)) ?? "";
        Assert.False(value.StartsWith("error", StringComparison.Ordinal), value);
        var found = JsonNode.Parse(value)!;
        var expected = new (string Type, string Role, string Tls)[]
        {
            ("imap", "IMAP", "implicit"), ("imap", "IMAP", "starttls"), ("pop3", "POP3", "implicit"), ("pop3", "POP3", "starttls"),
            ("smtp", "MSA", "implicit"), ("smtp", "MSA", "starttls"),
        }.Select(e => $"{e.Type} mail.bank.test:{runtime.EndPoint("bank", e.Role, e.Tls).Port} {(e.Tls == "implicit" ? "SSL" : "STARTTLS")} password-cleartext %EMAILADDRESS%");
        foreach (string source in (string[])["isp", "db"])
        {
            var servers = found[source]!.AsArray().Select(s =>
                $"{s!["type"]} {s["host"]}:{s["port"]} {s["socketType"]} {s["auth"]} {s["username"]}");
            Assert.Equal(expected.Order(), servers.Order());
        }
        // Thunderbird logged in with each incoming server's settings (the lab saw bob's AUTH succeed on each listener).
        Assert.True(found["logins"]!.AsArray().All(l => ((string)l!).EndsWith(" ok", StringComparison.Ordinal)), found["logins"]!.ToJsonString());
        Assert.Equal(expected.Take(4).Select(e => e.Split(' ')[0] + " " + e.Split(':')[1].Split(' ')[0] + " ok").Order(),
            found["logins"]!.AsArray().Select(l => (string)l!).Order());
        var logins = lab.Events(TraceKind.AuthSucceeded).Where(e => e.Site == "bank" && e.Text.Contains("bob@bank.test")).ToList();
        Assert.Equal(4, logins.Count);
        Assert.All(logins, e => Assert.DoesNotContain("plaintext", e.Text));
        var asked = lab.Events(TraceKind.WebRequest).Select(e => $"{e.Field("Path")}{e.Field("Query")} {e.Field("Status")}").ToList();
        Assert.Contains("/mail/config-v1.1.xml?emailaddress=bob%40bank.test 200", asked);
        Assert.Contains("/v1.1/bank.test 200", asked);
    }
}
