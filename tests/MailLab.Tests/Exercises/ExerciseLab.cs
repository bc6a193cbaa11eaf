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
    private readonly Serilog.Core.Logger logger;

    private ExerciseLab(TestLab lab, Serilog.Core.Logger logger, LabRuntime runtime)
    {
        Lab = lab;
        this.logger = logger;
        Runtime = runtime;
    }

    public TestLab Lab { get; }

    public LabRuntime Runtime { get; }

    public string DataDirectory => Lab.DataDirectory;

    public static ExerciseLab Start(Exercise exercise)
    {
        bool On(string key) => exercise.LabSwitches.TryGetValue(key, out bool v) && v;
        string yaml = TestLab.LabYaml(plaintextAuth: On("allow-plaintext-auth"), revealSecrets: On("reveal-secrets"),
            forgery: On("allow-sender-forgery"), rejectSpfFail: On("reject-spf-fail"),
            dmarcMonitorOnly: On("dmarc-monitor-only"), showDmarcVerdict: On("show-dmarc-verdict")); // the switches as the default lab sets them unless the exercise says
        // Exercise 6 reads mail over POP3 and IMAP: every site serves both, on free ports.
        yaml = yaml.Replace("ports: { mta: 0, submission: 0, submissions: 0 }",
            "ports: { mta: 0, submission: 0, submissions: 0, pop3: 0, pop3s: 0, imap: 0, imaps: 0 }");
        var lab = TestLab.FromYaml(yaml, On("reveal-secrets"));
        var logger = TraceLogging.Create(lab.DataDirectory, console: false);
        var runtime = LabRuntime.Start(lab.Definition, lab.DataDirectory, new Tracer(new TraceStream(), logger, On("reveal-secrets")));
        return new ExerciseLab(lab, logger, runtime);
    }

    /// <summary>Stops the lab and flushes the trace file.</summary>
    public async ValueTask DisposeAsync()
    {
        await Runtime.DisposeAsync();
        await logger.DisposeAsync();
    }
}
