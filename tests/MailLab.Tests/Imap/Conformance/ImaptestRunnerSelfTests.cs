using MailLab.Tests.Support;

namespace MailLab.Tests.Imap.Conformance;

/// <summary>
/// The runner must catch a wrong server answer: each case edits one expectation of a script that
/// Dovecot passes, so the edited script must fail against Dovecot with the named line.
/// </summary>
[Trait("Category", "Interop")]
public sealed class ImaptestRunnerSelfTests(DovecotInstance dovecot) : IClassFixture<DovecotInstance>
{
    [Theory]
    [InlineData("select", "* 2 exists\n* 2 recent\n* ok [unseen 1]\n* ok [uidvalidity $uidvalidity]\n* ok [uidnext $uidnext]\nok [read-only]", "* 3 exists\n* 2 recent\n* ok [unseen 1]\n* ok [uidvalidity $uidvalidity]\n* ok [uidnext $uidnext]\nok [read-only]", "no reply matches * 3 exists")]
    [InlineData("select", "ok [read-only]", "ok [read-write]", "does not start with [read-write]")]
    [InlineData("store", "* 3 fetch (flags (\\draft))", "* 3 fetch (flags (\\draft \\seen))", "no reply matches")]
    [InlineData("store", "1 ok store 1:3 flags (\\seen)\n* 1 fetch (flags (\\seen))", "1 ok store 1:3 flags (\\seen)\n* 1 fetch (flags ())", "no reply matches")]
    [InlineData("expunge2", "* $1 expunge\n* $3 expunge", "* $1 expunge\n* $2 expunge", "no reply matches * $2 expunge")]
    [InlineData("fetch-body", "ok fetch 2 body.peek[text]<0.3>\n* 2 fetch (body[text]<0> \"bod\")", "ok fetch 2 body.peek[text]<0.3>\n* 2 fetch (body[text]<0> \"bor\")", "no reply matches")]
    [InlineData("fetch-body", "From: User1 <user1@domain.org>\nSubject: s1\n\n\n}}}", "From: User1 <user1@domain.org>\nSubject: s2\n\n\n}}}", "no reply matches")]
    [InlineData("fetch", "ok uid fetch $uid1,* uid\n* 1 fetch (uid $uid1)\n* 2 fetch (uid $uid3)", "ok uid fetch $uid1,* uid\n* 1 fetch (uid $uid1)\n! 2 fetch (uid $uid3)", "banned reply")]
    [InlineData("fetch", "ok uid fetch $uid1,* uid", "no uid fetch $uid1,* uid", "expected NO")]
    [InlineData("search-sets", "ok search 1:3,5\n* search 1 2 3 5", "ok search 1:3,5\n* search 1 2 3", "no reply matches * search 1 2 3")]
    [InlineData("list", "2 ok list \"\" $mailbox${sep}%${sep}%\n! list () $sep $mailbox${sep}test\n", "2 ok list \"\" $mailbox${sep}%${sep}%\n* list () $sep $mailbox${sep}test\n", "no reply matches")]
    [InlineData("uidplus", "ok [appenduid $uidvalidity $uid]", "ok [appenduid $uidvalidity $uid]\nok select ${mailbox}2\n* ok [uidvalidity 1]", "no reply matches * ok [uidvalidity 1]")]
    public async Task An_edited_expectation_fails(string script, string from, string to, string failure)
    {
        var text = File.ReadAllText(ImaptestScripts.PathOf(script));
        Assert.Contains(from, text);
        var dir = TempDir.New("imaptest-edited");
        File.WriteAllText(Path.Combine(dir, script), text.Replace(from, to));
        foreach (var f in Directory.GetFiles(ImaptestScripts.Directory, "*.mbox")) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));

        var result = await new ImaptestRunner(dovecot.Target).Run(Path.Combine(dir, script));

        Assert.False(result.Passed, result.ToString());
        Assert.Contains(result.Failures, f => f.Contains(failure));
    }

    [Fact]
    public async Task A_missing_capability_skips_the_script_with_the_reason()
    {
        var dir = TempDir.New("imaptest-caps");
        File.WriteAllText(Path.Combine(dir, "needs-urlauth"), "capabilities: URLAUTH\n\nok noop\n");
        File.Copy(Path.Combine(ImaptestScripts.Directory, "default.mbox"), Path.Combine(dir, "default.mbox"));

        var result = await new ImaptestRunner(dovecot.Target).Run(Path.Combine(dir, "needs-urlauth"));

        Assert.Equal("server lacks URLAUTH", result.SkipReason);
    }
}
