using System.Net;
using DnsClient;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailLab.Server.Exercises;
using MailLab.Server.Trace;
using MailLab.Tests.Dns;
using MailLab.Tests.Interop;
using MailLab.Tests.Support;
using MimeKit;

namespace MailLab.Tests.Exercises;

/// <summary>
/// Issue 14 §1: the lab's own DNS lookups (the queue's MX, the receiving MTA's SPF, DKIM and DMARC)
/// come from the site's address and are traced as the lab's (<c>Origin: resolver</c>), so they never
/// earn a student the DNS objectives of exercises 4, 7 and 8; a student's dig does, from any address.
/// </summary>
public sealed class LabResolverCreditTests
{
    [Fact]
    public async Task The_labs_lookups_come_from_the_site_address_as_the_labs_and_a_students_dig_stays_the_students()
    {
        await using var lab = ExerciseLab.Start(ExerciseDemoTests.Catalog.Find(8)!);
        var stream = lab.Runtime.Tracer.Stream;
        await RelayAliceToBobAsync(lab);

        // uc's queue asked for bank.test's MX from uc's address; bank's MTA for uc.test's SPF, DKIM key and DMARC from bank's.
        var lookups = stream.Query(new TraceQuery(Kind: TraceKind.DnsQuery)).ToList();
        TraceEvent Asked(string name, string type) =>
            lookups.FirstOrDefault(e => e.Field("Name") == name && e.Field("Type") == type) ?? throw new Xunit.Sdk.XunitException($"nobody asked {name} {type}");
        Assert.Equal(("127.0.1.1", LabOrigin.Resolver), (Asked("bank.test", "MX").Field("Client"), Asked("bank.test", "MX").Origin));
        Assert.Equal(("127.0.2.1", LabOrigin.Resolver), (Asked("uc.test", "TXT").Field("Client"), Asked("uc.test", "TXT").Origin));
        Assert.Equal(("127.0.2.1", LabOrigin.Resolver), (Asked("_dmarc.uc.test", "TXT").Field("Client"), Asked("_dmarc.uc.test", "TXT").Origin));
        var key = lookups.First(e => e.Field("Name")!.EndsWith("._domainkey.uc.test", StringComparison.Ordinal));
        Assert.Equal(("127.0.2.1", LabOrigin.Resolver), (key.Field("Client"), key.Origin));
        // Every question of the relay, and every answer to it, is the lab's; none came from 127.0.0.1.
        var dnsEvents = stream.Query().Where(e => e.Kind is TraceKind.DnsQuery or TraceKind.DnsAnswer).ToList();
        Assert.True(dnsEvents.Count >= 8, $"only {dnsEvents.Count} DNS events");
        Assert.All(dnsEvents, e => Assert.Equal(LabOrigin.Resolver, e.Origin));
        Assert.All(lookups, e => Assert.Contains(e.Field("Client"), new[] { "127.0.1.1", "127.0.2.1" }));

        // A student's questions: DnsClient and dig from 127.0.0.1, dig from another loopback address and even from uc's own address.
        var dns = lab.Runtime.Dns!.EndPoint;
        long before = stream.Count;
        await DnsServerTests.Client(dns).QueryAsync("bank.test", QueryType.MX);
        await DigAsync(dns, null, "txt", "bank.test");
        await DigAsync(dns, "127.0.0.41", "txt", "_dmarc.bank.test");
        await DigAsync(dns, "127.0.1.1", "+tcp", "mx", "uc.test");
        var students = stream.Query().Where(e => e.Sequence > before && e.Kind is TraceKind.DnsQuery or TraceKind.DnsAnswer).ToList();
        Assert.Equal(8, students.Count);
        Assert.All(students, e => Assert.Null(e.Origin));
        Assert.Equal(["127.0.0.1", "127.0.0.1", "127.0.0.41", "127.0.1.1"],
            students.Where(e => e.Kind == TraceKind.DnsQuery).Select(e => e.Field("Client")));
    }

    [Fact]
    public async Task The_relays_lookups_meet_no_dns_objective_and_the_students_own_dig_meets_them()
    {
        await using var lab = ExerciseLab.Start(ExerciseDemoTests.Catalog.Find(8)!);
        await RelayAliceToBobAsync(lab);
        // The trace file is flushed once a second: wait until it holds the relay's outcome (and so every lookup before it).
        await WaitForFileAsync(lab.DataDirectory, e => e.Kind == TraceKind.RelayOutcome && e.Field("State") == "delivered");

        (int Exercise, string[] Ids)[] dnsObjectives =
        [
            (4, ["key-in-dns"]),
            (7, ["looked-up-mx"]),
            (8, ["mx-record", "spf-record", "dmarc-record", "reverse-lookup", "nxdomain", "over-tcp"]),
        ];
        // The submitter (127.0.0.1) is the only student so far; the lab asked for MX, SPF, DKIM and DMARC on its behalf.
        foreach (string? student in new[] { null, "127.0.0.1", "127.0.0.41", "127.0.0.42" })
        {
            foreach (var (n, ids) in dnsObjectives)
            {
                var report = await CheckReport.RunAsync(ExerciseDemoTests.Catalog.Find(n)!, lab.DataDirectory, student, null);
                foreach (var id in ids)
                {
                    Assert.False(Result(report, id).Met, $"exercise {n} {id} met by the lab's own lookups (student {student ?? "any"})");
                }
            }
        }

        // Now the student asks, with Debian's dig from 127.0.0.1, what exercises 4, 7 and 8 ask for.
        var dns = lab.Runtime.Dns!.EndPoint;
        string selectorName = lab.Runtime.Tracer.Stream.Query(new TraceQuery(Kind: TraceKind.DnsQuery))
            .Select(e => e.Field("Name")!).First(n => n.EndsWith("._domainkey.uc.test", StringComparison.Ordinal));
        await DigAsync(dns, null, "txt", selectorName);
        await DigAsync(dns, null, "mx", "bank.test");
        await DigAsync(dns, null, "txt", "bank.test");
        await DigAsync(dns, null, "txt", "_dmarc.bank.test");
        await DigAsync(dns, null, "-x", "127.0.2.1");
        await DigAsync(dns, null, "a", "nosuchhost.bank.test");
        await DigAsync(dns, null, "+tcp", "mx", "uc.test");
        await WaitForFileAsync(lab.DataDirectory, e => e.Kind == TraceKind.DnsAnswer && e.Origin is null && e.Field("Name") == "uc.test" && e.Field("Transport") == "tcp");
        foreach (var (n, ids) in dnsObjectives)
        {
            var exercise = ExerciseDemoTests.Catalog.Find(n)!;
            foreach (string? student in new[] { null, "127.0.0.1" })
            {
                var report = await CheckReport.RunAsync(exercise, lab.DataDirectory, student, null);
                foreach (var id in ids)
                {
                    Assert.True(Result(report, id).Met, $"exercise {n} {id} not met after the student's dig (student {student ?? "any"})");
                }
            }
            var other = await CheckReport.RunAsync(exercise, lab.DataDirectory, "127.0.0.42", null);
            Assert.All(ids, id => Assert.False(Result(other, id).Met, $"exercise {n} {id} met for another student"));
        }
    }

    private static ObjectiveResult Result(CheckReport report, string id) => report.Results.Single(r => r.Objective.Id == id);

    /// <summary>alice@uc.test submits at uc's MSA (from 127.0.0.1) a message for bob@bank.test, and waits until it is delivered.</summary>
    private static async Task RelayAliceToBobAsync(ExerciseLab lab)
    {
        var msa = lab.Runtime.EndPoint("uc", "MSA", "starttls");
        var m = new MimeMessage();
        m.From.Add(MailboxAddress.Parse("alice@uc.test"));
        m.To.Add(MailboxAddress.Parse("bob@bank.test"));
        m.Subject = "relayed";
        m.Body = new TextPart("plain") { Text = "Across the lab." };
        using (var client = new SmtpClient { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false, Timeout = 20_000 })
        {
            await client.ConnectAsync(msa.Address.ToString(), msa.Port, SecureSocketOptions.StartTls);
            await client.AuthenticateAsync("alice@uc.test", "lab-alice");
            await client.SendAsync(m);
            await client.DisconnectAsync(true);
        }
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!lab.Runtime.Tracer.Stream.Query(new TraceQuery(Kind: TraceKind.RelayOutcome)).Any(e => e.Field("State") == "delivered"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the message was not relayed");
            await Task.Delay(50);
        }
    }

    private static async Task WaitForFileAsync(string data, Func<TraceEvent, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!(await TraceFileReader.ReadAsync(data)).Events.Any(match))
        {
            Assert.True(DateTime.UtcNow < deadline, "the event did not reach the trace file");
            await Task.Delay(100);
        }
    }

    /// <summary>Debian's dig, as a student types it; <paramref name="from"/> is its -b source address.</summary>
    private static async Task DigAsync(IPEndPoint dns, string? from, params string[] args)
    {
        string[] source = from is null ? [] : ["-b", from];
        var (code, output, err) = await ExternalTool.Run("dig", [$"@{dns.Address}", "-p", dns.Port.ToString(), .. source, .. args, "+norecurse", "+time=3", "+tries=1"]);
        Assert.True(code == 0, err + output);
        Assert.Contains("status:", output);
    }
}
