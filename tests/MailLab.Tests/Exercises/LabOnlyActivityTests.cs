using System.Net;
using MailKit.Net.Smtp;
using MailKit.Security;
using MailLab.Server.Exercises;
using MailLab.Server.Reports;
using MailLab.Server.Trace;
using MimeKit;
using Xunit.Abstractions;

namespace MailLab.Tests.Exercises;

/// <summary>
/// Issue 14 §1: only the student earns credit. On a real lab (ports 0, the trace file the checker reads),
/// what the lab does by itself (start-up, a DMARC report run, the bounce of a report) is marked as the
/// lab's and meets no objective of any exercise, and a message another student submitted (which makes
/// the lab look up MX, SPF, DKIM and DMARC) credits nobody else and no objective about DNS queries.
/// </summary>
public sealed class LabOnlyActivityTests(ITestOutputHelper output)
{
    private static ExerciseCatalog Catalog => ExerciseDemoTests.Catalog;

    /// <summary>Students on loopback addresses of their own; C acts, A and B do nothing.</summary>
    private static readonly IPAddress StudentA = IPAddress.Parse("127.0.0.41"), StudentB = IPAddress.Parse("127.0.0.42"),
        StudentC = IPAddress.Parse("127.0.0.43");

    /// <summary>Objectives about the student's own DNS questions: the lab's lookups must never meet them.</summary>
    private static readonly string[] DnsObjectives =
        ["4/key-in-dns", "7/looked-up-mx", "8/mx-record", "8/spf-record", "8/dmarc-record", "8/reverse-lookup", "8/nxdomain", "8/over-tcp"];

    [Fact]
    public async Task The_lab_acting_alone_is_marked_as_the_lab_and_meets_no_objective_of_any_exercise()
    {
        await using var lab = ExerciseLab.Start(Catalog.Find(1)!);
        // A report run the lab does by itself: bank's MTA recorded a DMARC evaluation of uc.test mail (the
        // lab's own API, as its MTA does), and the record asks for reports to uc's postmaster and to a
        // name in uc.test that does not exist, so the queue also bounces one copy back to bank's postmaster.
        var log = new DmarcReportLog(Path.Combine(lab.DataDirectory, "dmarc"));
        await log.AppendAsync("bank", new DmarcReportEntry
        {
            Time = DateTimeOffset.UtcNow, SourceIp = "127.0.1.1", HeaderFrom = "uc.test", PolicyDomain = "uc.test",
            Record = "v=DMARC1; p=none; rua=mailto:postmaster@uc.test,mailto:nobody@gone.uc.test", Discovery = "exact",
            Disposition = "none", DkimAligned = true, SpfAligned = true, SpfDomain = "uc.test", SpfResult = "pass",
        }, CancellationToken.None);
        DmarcReporter.RequestSend(Path.Combine(lab.DataDirectory, "dmarc"));

        // Wait in the trace file for the whole of it: the report relayed to uc and evaluated there, the bounce delivered.
        var events = await WaitForTrace(lab.DataDirectory, es =>
            es.Any(e => e.Kind == TraceKind.DsnSent) && es.Any(e => e.Kind == TraceKind.DmarcEvaluated && e.Site == "uc")
            && es.Count(e => e.Kind == TraceKind.QueueEntryRemoved) >= 1);
        Assert.Contains(events, e => e.Kind == TraceKind.DmarcReportSent);
        Assert.Contains(events, e => e.Kind == TraceKind.LocalDelivery && e.Origin == LabOrigin.Dsn);
        Assert.Contains(events, e => e.Kind == TraceKind.SessionOpened && e.Field("LabRelay") == "True" && e.Origin == LabOrigin.Relay);

        // Every event is the lab's, so that nothing in this trace can ever be a student's.
        var unmarked = events.Where(e => e.Origin is null).Select(e => $"{e.Site} {e.Role} {e.Kind}: {e.Text}").ToList();
        Assert.True(unmarked.Count == 0, "events without Origin:\n" + string.Join("\n", unmarked));

        foreach (var student in new string?[] { null, "127.0.0.1", "127.0.1.1", "127.0.2.1", "postmaster@bank.test", "alice@uc.test" })
        {
            Assert.Empty(await MetObjectives(lab.DataDirectory, student));
        }
    }

    [Fact]
    public async Task A_message_student_C_submitted_credits_no_DNS_objective_and_nothing_for_students_A_or_B()
    {
        await using var lab = ExerciseLab.Start(Catalog.Find(1)!);
        var msa = DemoListeners(lab).Single(l => l.Site == "uc" && l.Role == "MSA" && l.Tls == "starttls");
        using (var client = new SmtpClient { LocalEndPoint = new IPEndPoint(StudentC, 0), ServerCertificateValidationCallback = (_, _, _, _) => true })
        {
            await client.ConnectAsync(msa.Address, msa.Port, SecureSocketOptions.StartTls);
            await client.AuthenticateAsync("alice@uc.test", "lab-alice");
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("alice@uc.test"));
            message.To.Add(MailboxAddress.Parse("bob@bank.test"));
            message.Subject = "lunch";
            message.Body = new TextPart("plain") { Text = "Friday?" };
            await client.SendAsync(message);
            await client.DisconnectAsync(true);
        }
        var events = await WaitForTrace(lab.DataDirectory, es => es.Any(e => e.Kind == TraceKind.LocalDelivery && e.Site == "bank"));
        // The relay made the lab ask the DNS: those questions are in the trace, as the lab's.
        Assert.Contains(events, e => e.Kind == TraceKind.RelayAttempt && e.Field("Step") == "mx-lookup" && e.Origin == LabOrigin.Relay);
        Assert.Contains(events, e => e.Kind == TraceKind.DmarcEvaluated && e.Site == "bank" && e.Origin == LabOrigin.Relay);

        foreach (var student in new string?[] { null, StudentC.ToString(), "alice@uc.test" })
        {
            var met = await MetObjectives(lab.DataDirectory, student);
            Assert.Empty(met.Intersect(DnsObjectives));
            // What C did, and nothing else: the submission (STARTTLS, AUTH, the DKIM signature) and its relay.
            Assert.Equal(
                ["3/auth-over-tls", "3/starttls", "4/signed-at-msa", "4/verified-pass", "5/aligned-pass",
                 "7/queue-found-mx", "7/relayed-over-tls", "7/submitted-remote"],
                met.Order(StringComparer.Ordinal));
        }
        foreach (var student in new[] { StudentA, StudentB })
        {
            Assert.Empty(await MetObjectives(lab.DataDirectory, student.ToString()));
        }
    }

    /// <summary>Every met objective of every exercise, as "N/id".</summary>
    private async Task<List<string>> MetObjectives(string data, string? student)
    {
        var met = new List<string>();
        var counts = new List<string>();
        foreach (var exercise in Catalog.Exercises)
        {
            var report = await CheckReport.RunAsync(exercise, data, student, null);
            met.AddRange(report.Results.Where(r => r.Met).Select(r => $"{exercise.Number}/{r.Objective.Id}"));
            counts.Add($"{exercise.Number}: {report.Results.Count(r => r.Met)}/{report.Results.Count}");
        }
        output.WriteLine($"--student {student ?? "(none)"}: {(met.Count == 0 ? "nothing met" : string.Join(" ", met))} [{string.Join(", ", counts)}]");
        return met;
    }

    private static IReadOnlyList<Server.Listeners.ListenerInfo> DemoListeners(ExerciseLab lab) =>
        Server.Exercises.Demos.DemoContext.ReadListeners(lab.DataDirectory);

    /// <summary>The trace file once <paramref name="done"/> holds for it (the sink flushes once a second).</summary>
    private static async Task<IReadOnlyList<TraceEvent>> WaitForTrace(string data, Func<IReadOnlyList<TraceEvent>, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var events = (await TraceFileReader.ReadAsync(data)).Events;
            if (done(events)) return events;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the trace never showed it:\n" + string.Join("\n", events.Select(e => $"{e.Kind} {e.Text}")));
            await Task.Delay(250);
        }
    }
}
