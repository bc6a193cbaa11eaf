using System.Buffers;
using System.Text;
using MailLab.Server.Delivery;

namespace MailLab.Tests.Delivery;

/// <summary>
/// Issue 19: the header rewrite reads the header section where it lies and copies the message only to write a
/// changed one. Whatever the spool holds (memory, a spill file, more than the part read first), the result is the
/// same message with only the header section changed.
/// </summary>
public sealed class HeaderRewriteTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("maillab-rewrite-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private async Task<MessageSpool> Spool(string message, int threshold)
    {
        var spool = new MessageSpool(dir, threshold);
        spool.Write(Encoding.Latin1.GetBytes(message));
        await spool.FlushAsync(default);
        return spool;
    }

    private static async Task<string> Text(MessageSpool spool)
    {
        using var ms = new MemoryStream();
        await spool.CopyToAsync(ms, default);
        return Encoding.Latin1.GetString(ms.ToArray());
    }

    private static bool DropOurs(string value) => value.TrimStart().StartsWith("mx.bank.test");

    [Theory]
    [InlineData(1024 * 1024, 100)]         // in memory
    [InlineData(1024, 5000)]               // spilled, all of it within the part read first
    [InlineData(1024, 300 * 1024)]         // spilled, longer than the part read first
    public async Task Only_the_named_field_goes_and_every_body_octet_stays(int threshold, int bodyLines)
    {
        var body = string.Concat(Enumerable.Range(0, bodyLines).Select(i => $"line {i} \u00e9\r\n"));
        var head = "Received: from a\r\nAuthentication-Results: mx.bank.test;\r\n\tspf=pass\r\nSubject: hi\r\n"
            + "Authentication-Results: other.test; dkim=pass\r\n\r\n";
        await using var spool = await Spool(head + body, threshold);
        await using var rewritten = await HeaderRewrite.ApplyAsync(spool, dir, "Authentication-Results", DropOurs, null, default);

        Assert.NotNull(rewritten);
        Assert.Equal("Received: from a\r\nSubject: hi\r\nAuthentication-Results: other.test; dkim=pass\r\n\r\n" + body, await Text(rewritten!));
    }

    [Theory]
    [InlineData(1024 * 1024)]
    [InlineData(1024)]
    public async Task A_message_that_needs_no_change_is_not_copied(int threshold)
    {
        await using var spool = await Spool("Subject: hi\r\nAuthentication-Results: other.test; none\r\n\r\nbody\r\n", threshold);
        Assert.Null(await HeaderRewrite.ApplyAsync(spool, dir, "Authentication-Results", DropOurs, null, default));
        // Without the field at all (the usual case), however the body reads.
        await using var plain = await Spool("Subject: hi\r\n\r\nAuthentication-Results: mx.bank.test; spf=pass\r\n", threshold);
        Assert.Null(await HeaderRewrite.ApplyAsync(plain, dir, "Authentication-Results", DropOurs, null, default));
    }

    [Fact]
    public async Task A_header_section_longer_than_the_part_read_first_is_still_rewritten_whole()
    {
        var filler = string.Concat(Enumerable.Range(0, 4000).Select(i => $"X-Filler-{i}: {new string('x', 70)}\r\n"));
        var message = filler + "Subject: late\r\n\r\nbody\r\n";
        await using var spool = await Spool(message, 1024);
        await using var rewritten = await HeaderRewrite.ApplyAsync(spool, dir, "Authentication-Results", _ => false, "[tag]", default);
        Assert.Equal(filler + "Subject: [tag] late\r\n\r\nbody\r\n", await Text(rewritten!));
    }
}
