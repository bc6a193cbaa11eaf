using System.Net;
using MailLab.Tests.Support;
using static MailLab.Tests.Dashboard.DashboardKit;
using static MailLab.Tests.Dashboard.MailboxKit;

namespace MailLab.Tests.Dashboard;

/// <summary>Who sees which mailbox when sign-in is required: a student their own only (others 404 and unlisted), the instructor all.</summary>
public sealed class MailboxAccessTests
{
    [Fact]
    public async Task A_student_sees_only_their_own_mailbox_and_the_instructor_sees_all()
    {
        await using var lab = DashboardKit.Lab(signIn: true);
        var toBob = await Deliver(lab, "uc", "alice@uc.test", "lab-alice", Plain("alice@uc.test", "bob@bank.test", "for bob only"), "bob@bank.test");
        var toAlice = await Deliver(lab, "bank", "bob@bank.test", "lab-bob", Plain("bob@bank.test", "alice@uc.test", "for alice"), "alice@uc.test");
        string bobMessage = $"/api/mailboxes/bob@bank.test/messages/INBOX/{Uid(toBob)}";

        using var anonymous = Client(lab);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/mailboxes")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(bobMessage)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await anonymous.GetAsync("/mailboxes")).StatusCode);

        using var alice = Client(lab);
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(alice, "alice@uc.test", "lab-alice")).StatusCode);
        var (status, json) = await Json(alice, "/api/mailboxes");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["alice@uc.test"], json.GetProperty("mailboxes").EnumerateArray().Select(m => m.GetProperty("address").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/mailboxes/ALICE@uc.test")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/api/mailboxes/alice@uc.test/messages/INBOX/{Uid(toAlice)}")).StatusCode);
        // Another's mailbox is "not found", exactly as a mailbox that does not exist: its existence does not leak.
        foreach (var path in new[] { "/api/mailboxes/bob@bank.test", "/api/mailboxes/bob@bank.test/messages", bobMessage, bobMessage + "/raw", "/api/mailboxes/postmaster@uc.test" })
        {
            (status, json) = await Json(alice, path);
            Assert.True(status == HttpStatusCode.NotFound, $"{path}: {status}");
            Assert.Equal((await Json(alice, path.Replace("bob@bank.test", "nobody@bank.test"))).Json.GetProperty("error").GetString()!.Replace("nobody", "bob"),
                json.GetProperty("error").GetString());
        }
        var list = await alice.GetStringAsync("/mailboxes");
        Assert.Contains("alice@uc.test", list[list.IndexOf("<main", StringComparison.Ordinal)..]);
        Assert.DoesNotContain("bob@bank.test", list);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync($"/mailboxes/bob%40bank.test/messages/INBOX/{Uid(toBob)}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/mailboxes/bob%40bank.test")).StatusCode);

        using var instructor = Client(lab);
        await SignIn(instructor, "instructor", InstructorPassword);
        (status, json) = await Json(instructor, "/api/mailboxes");
        Assert.Equal(7, json.GetProperty("mailboxes").GetArrayLength());
        (status, json) = await Json(instructor, bobMessage);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(toBob.Message, json.GetProperty("queueId").GetString());
    }
}
