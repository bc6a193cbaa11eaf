namespace MailLab.Tests.Imap.Conformance;

/// <summary>
/// Checks the runner itself: every script MailLab must pass also passes against Dovecot, the server
/// imaptest is written against — so a MailLab failure is the server's, not the runner's.
/// </summary>
[Trait("Category", "Interop")]
public sealed class ImaptestDovecotTests(DovecotInstance dovecot) : IClassFixture<DovecotInstance>
{
    [Theory]
    [MemberData(nameof(ImaptestScripts.RequiredData), MemberType = typeof(ImaptestScripts))]
    public async Task Dovecot_passes(string script)
    {
        var result = await new ImaptestRunner(dovecot.Target).Run(ImaptestScripts.PathOf(script));
        Assert.True(result.Passed, result.ToString());
    }
}
