namespace MailLab.Server.Exercises.Demos;

/// <summary>A scripted student: performs one exercise's steps against the running lab, narrating them.</summary>
public interface IExerciseDemo
{
    /// <summary>The exercise number (the <c>exercise:</c> of its objectives file).</summary>
    int Number { get; }

    /// <summary>Runs the steps; throws <see cref="DemoException"/> when the lab does not answer as the handout expects.</summary>
    Task RunAsync(DemoContext ctx, CancellationToken ct);
}

/// <summary>The demos that exist, by exercise number.</summary>
public static class ExerciseDemos
{
    /// <summary>Every demo.</summary>
    public static IReadOnlyList<IExerciseDemo> All { get; } =
    [
        new SmtpByHandDemo(),
        new SpfForgeryDemo(),
        new StartTlsDemo(),
        new DkimDemo(),
        new DmarcDemo(),
        new Pop3ImapDemo(),
        new RelayDemo(),
        new DnsDemo(),
        new VrfyDemo(),
        new ApopDemo(),
        new SenderForgeryDemo(),
        new SecretsDemo(),
        new SmimeDemo(),
        new OpenPgpDemo(),
        new DnssecDemo(),
        new StarttlsStrippingDemo(),
    ];

    /// <summary>The demo of exercise <paramref name="number"/>, or null when it has none.</summary>
    public static IExerciseDemo? Find(int number) => All.FirstOrDefault(d => d.Number == number);
}
