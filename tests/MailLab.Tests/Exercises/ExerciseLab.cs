using MailLab.Server;
using MailLab.Server.Exercises;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Exercises;

/// <summary>
/// A fresh test lab (ports 0, its own data directory) set up with an exercise's lab switches, whose
/// trace also goes to <c>data/trace/trace.jsonl</c> as under <c>maillab up</c>: the file the checker reads.
/// </summary>
internal sealed class ExerciseLab : IAsyncDisposable
{
    private readonly TraceLog logger;
    private bool disposed;

    private ExerciseLab(TestLab lab, TraceLog logger, LabRuntime runtime)
    {
        Lab = lab;
        this.logger = logger;
        Runtime = runtime;
    }

    public TestLab Lab { get; }

    public LabRuntime Runtime { get; }

    public string DataDirectory => Lab.DataDirectory;

    /// <summary>Starts a lab with the exercise's lab switches (as 'maillab exercise start' does).</summary>
    /// <param name="data">Reuse this data directory (a second run of the lab, as after Ctrl-C and 'maillab up'); default: a new one.</param>
    /// <param name="defaultSwitches">Ignore the exercise's switches: the default lab, as 'maillab up' starts it.</param>
    /// <param name="switches">These switches instead of the exercise's ('maillab up --switch NAME', an earlier step of its handout).</param>
    public static ExerciseLab Start(Exercise exercise, string? data = null, bool defaultSwitches = false, IReadOnlyDictionary<string, bool>? switches = null)
    {
        var chosen = switches ?? exercise.LabSwitches;
        bool On(string key) => !defaultSwitches && chosen.TryGetValue(key, out bool v) && v;
        string yaml = TestLab.LabYaml(plaintextAuth: On("allow-plaintext-auth"), revealSecrets: On("reveal-secrets"),
            forgery: On("allow-sender-forgery"), rejectSpfFail: On("reject-spf-fail"),
            dmarcMonitorOnly: On("dmarc-monitor-only"), showDmarcVerdict: On("show-dmarc-verdict")); // the switches as the default lab sets them unless the exercise says
        yaml = yaml.Replace("  enable-vrfy: false", $"  enable-vrfy: {(On("enable-vrfy") ? "true" : "false")}\n  enable-apop: {(On("enable-apop") ? "true" : "false")}");
        // Any other switch the exercise sets (strip-starttls, dnssec-validate ...), as the default lab's switches: lists it.
        foreach (var key in chosen.Keys.Concat(exercise.LabSwitches.Keys).Distinct().Where(k => !yaml.Contains($"\n  {k}:", StringComparison.Ordinal)).ToList())
        {
            yaml = yaml.Replace("switches:\n", $"switches:\n  {key}: {(On(key) ? "true" : "false")}\n");
        }
        // Exercise 6 reads mail over POP3 and IMAP: every site serves both, on free ports.
        yaml = yaml.Replace("ports: { mta: 0, submission: 0, submissions: 0 }",
            "ports: { mta: 0, submission: 0, submissions: 0, pop3: 0, pop3s: 0, imap: 0, imaps: 0 }");
        // uc.test's colleagues of the default lab: exercise 10 cracks dave's password, exercise 11 forges carol's From.
        yaml = yaml.Replace("      - { address: alice@uc.test, password: lab-alice }",
            "      - { address: alice@uc.test, password: lab-alice }\n      - { address: carol@uc.test, password: lab-carol }\n      - { address: dave@uc.test, password: lab-dave }");
        // The spoof-dns forger on a free port.
        if (On("spoof-dns")) yaml += "\nattacks:\n  spoof-dns: { port: 0 }\n";
        var lab = TestLab.FromYaml(yaml, On("reveal-secrets"), data);
        TestPki.SeedUserPki(lab.DataDirectory); // the users' S/MIME certificates, made once per test run
        var logger = TraceLogging.Create(lab.DataDirectory, console: false);
        var runtime = LabRuntime.Start(lab.Definition, lab.DataDirectory, new Tracer(new TraceStream(), logger, On("reveal-secrets")));
        return new ExerciseLab(lab, logger, runtime);
    }

    /// <summary>Stops the lab and flushes the trace file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed) return;
        disposed = true;
        await Runtime.DisposeAsync();
        await logger.DisposeAsync();
    }
}
