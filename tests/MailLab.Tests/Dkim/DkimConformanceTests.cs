using MailLab.MailAuth.Dkim;

namespace MailLab.Tests.Dkim;

/// <summary>Every signed message of Dkim/data verifies as its upstream test (and data/SOURCES.md) expects.</summary>
public class DkimConformanceTests
{
    public static TheoryData<string> Files() => [.. DkimSuite.Cases().Select(c => c.File)];

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Signed_message_verifies_as_expected(string file)
    {
        var c = DkimSuite.Cases().Single(x => x.File == file);
        var verifier = new DkimVerifier(c.Dns(), new FixedTime(DkimSuite.Now));
        var results = await verifier.VerifyAsync(DkimSuite.Message(file));
        Assert.True(c.Expected.SequenceEqual(results.Select(r => r.Keyword)),
            $"{file} ({c.Why}): expected {string.Join(",", c.Expected)}\n{DkimSuite.Describe(results)}");
        foreach (var r in results.Where(r => r.Result == DkimResultCode.Pass))
        {
            Assert.Equal(r.BodyHashClaimed, r.BodyHashComputed);
            Assert.NotNull(r.HeaderHashComputed);
        }
    }
}

/// <summary>A clock stopped at one moment.</summary>
public sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
