using MailLab.Tests.Support;

namespace MailLab.Tests.Imap.Conformance;

/// <summary>One lab with uc.test's IMAP listeners, shared by the scripts (each script resets its test mailboxes).</summary>
public sealed class ImaptestLab : IAsyncLifetime
{
    public TestLab Lab { get; private set; } = null!;

    /// <summary>alice@uc.test over implicit TLS (993-style listener), the certificate checked against the lab CA.</summary>
    public ImapTarget Target
    {
        get
        {
            var ep = Lab.Runtime!.EndPoint("uc", "IMAP", "implicit");
            return new ImapTarget(ep.Address.ToString(), ep.Port, "alice@uc.test", "lab-alice", new ImapTls("mx.uc.test", TestPki.Validate));
        }
    }

    public Task InitializeAsync()
    {
        Lab = ImapLab.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Lab.DisposeAsync();
}

/// <summary>
/// The imaptest scripts (ImaptestScripts.Required) against MailLab's IMAP server over real TLS
/// sockets: every required script must pass. The upstream scripts not run are listed with their
/// reason in ImaptestScripts.Excluded.
/// </summary>
public sealed class ImaptestMailLabTests(ImaptestLab lab) : IClassFixture<ImaptestLab>
{
    [Theory]
    [MemberData(nameof(ImaptestScripts.RequiredData), MemberType = typeof(ImaptestScripts))]
    public async Task MailLab_passes(string script)
    {
        var result = await new ImaptestRunner(lab.Target).Run(ImaptestScripts.PathOf(script));
        Assert.True(result.Passed, result.ToString());
    }
}
