using System.Net;
using System.Text.Json;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailLab.Protocols.Dns;
using MailLab.Server.Trace;
using MailLab.Tests.Support;
using static MailLab.Tests.Dashboard.DashboardKit;
using static MailLab.Tests.Dashboard.DnsKit;

namespace MailLab.Tests.Dashboard;

/// <summary>
/// A student's DNS query log: the questions asked from an address the student used (a mail login's client, a dashboard
/// sign-in's remote), never another address's and never the lab's own lookups. "Machines" on loopback (Linux routes
/// all of 127/8 to lo): 127.0.0.1 (her browser), the lab resolver's address (her mail client, so that only the
/// question's Origin keeps the lab's lookups out of her log) and 127.0.0.2 (somebody else).
/// </summary>
public sealed class DnsStudentLogTests
{
    private static readonly IPAddress Browser = IPAddress.Loopback, Other = IPAddress.Parse("127.0.0.2");

    private static IEnumerable<JsonElement> Queries(JsonElement json) => json.GetProperty("queries").EnumerateArray();

    private static bool Asked(JsonElement json, string name) => Queries(json).Any(q => q.GetProperty("name").GetString() == name);

    [Fact]
    public async Task A_student_sees_the_questions_from_her_login_and_sign_in_addresses_only()
    {
        await using var lab = DashboardKit.Lab(signIn: true);
        using var alice = Client(lab);
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(alice, "alice@uc.test", "lab-alice")).StatusCode); // from 127.0.0.1

        // Bob mails her from 127.0.0.1: the lab's resolvers look up SPF and MX, from the lab resolver's address.
        await Submit(lab, "bank", "bob@bank.test", "lab-bob", "alice@uc.test", "to alice");
        var resolver = IPAddress.Parse((await lab.WaitForEvent(e => e.Kind == TraceKind.DnsQuery && e.Origin is not null)).Field("Client")!);
        Assert.NotEqual(Browser, resolver);

        // Somebody types her address with a wrong password from 127.0.0.2: a failed login does not make the address hers.
        var msa = lab.Runtime!.EndPoint("uc", "MSA", "starttls");
        using (var guess = new SmtpClient { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false, Timeout = 20_000 })
        {
            guess.LocalEndPoint = new IPEndPoint(Other, 0);
            await guess.ConnectAsync(msa.Address.ToString(), msa.Port, SecureSocketOptions.StartTls);
            await Assert.ThrowsAsync<AuthenticationException>(() => guess.AuthenticateAsync("alice@uc.test", "not-her-password"));
        }
        await lab.WaitForEvent(e => e.Kind == TraceKind.AuthFailed && e.Field("Login") == "alice@uc.test");

        // Her mail client submits from the resolver's address (another port): that address is hers now.
        var mailClient = resolver;
        await Submit(lab, "uc", "alice@uc.test", "lab-alice", "bob@bank.test", "to the bank", mailClient);

        await Ask(lab, "from-browser.uc.test", DnsType.A, Browser);
        await Ask(lab, "from-mail-client.uc.test", DnsType.A, mailClient);
        await Ask(lab, "from-other.uc.test", DnsType.A, Other);

        var (status, mine) = await Json(alice, "/api/dns/queries");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(Asked(mine, "from-browser.uc.test"), "her sign-in's address is hers");
        Assert.True(Asked(mine, "from-mail-client.uc.test"), "her login's client is hers");
        Assert.False(Asked(mine, "from-other.uc.test"));
        Assert.All(Queries(mine), q => Assert.False(q.GetProperty("lab").GetBoolean()));
        Assert.All(Queries(mine), q => Assert.NotEqual("127.0.0.2", q.GetProperty("client").GetString()));
        // The answers are paired as for the instructor.
        Assert.Equal("NXDOMAIN", Queries(mine).First(q => q.GetProperty("name").GetString() == "from-browser.uc.test").GetProperty("rcode").GetString());
        Assert.Empty(Queries((await Json(alice, "/api/dns/queries?who=lab")).Json));
        var page = await alice.GetStringAsync("/dns");
        Assert.Contains("from-mail-client.uc.test", page);
        Assert.DoesNotContain("from-other.uc.test", page);
        Assert.DoesNotContain("class=\"by-lab\"", page);
        Assert.Contains("class=\"by-student\"", page);

        // The lab's questions come from one of her addresses too: only their Origin keeps them out of her log.
        using var instructor = Client(lab);
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(instructor, "instructor", InstructorPassword)).StatusCode);
        var (_, all) = await Json(instructor, "/api/dns/queries?limit=1000");
        Assert.True(Asked(all, "from-other.uc.test"));
        Assert.Contains(Queries(all), q => q.GetProperty("lab").GetBoolean() && q.GetProperty("client").GetString() == mailClient.ToString());

        // Bob logged in from 127.0.0.1 (his submission) and signs in from it: students sharing an address see each other's questions.
        using var bob = Client(lab);
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(bob, "bob@bank.test", "lab-bob")).StatusCode);
        var (_, his) = await Json(bob, "/api/dns/queries");
        Assert.True(Asked(his, "from-browser.uc.test"), "students sharing an address see each other's questions");
        Assert.False(Asked(his, "from-mail-client.uc.test"));
        Assert.False(Asked(his, "from-other.uc.test"));
    }
}
