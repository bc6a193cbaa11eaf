using System.Text.RegularExpressions;
using MailLab.Tests.Support;

namespace MailLab.Tests.Pop3;

/// <summary>
/// MailLab's replies have the shapes real servers send (recorded replies in data/, see SOURCES.md);
/// the checks are shown to reject the malformed recordings that clients must refuse.
/// </summary>
public sealed class Pop3ReplyShapeTests
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "Pop3", "data");

    private static string[] File(string name) =>
        System.IO.File.ReadAllLines(Path.Combine(Data, name)).Where(l => l.Length > 0).ToArray(); // recorded with LF endings

    /// <summary>RFC 1939 §5 STAT: exactly "+OK nn mm".</summary>
    private static bool Stat(string line) => Regex.IsMatch(line, @"^\+OK \d+ \d+$");

    /// <summary>RFC 1939 §5 single LIST/UIDL: "+OK n value".</summary>
    private static bool Single(string line, bool uidl) => Regex.IsMatch(line, uidl ? @"^\+OK \d+ [\x21-\x7E]{1,70}$" : @"^\+OK \d+ \d+$");

    /// <summary>A scan or unique-id listing: status line, "n value" lines with ascending numbers up to <paramref name="count"/>, then ".".</summary>
    private static bool Listing(string[] lines, int count, bool uidl)
    {
        if (lines.Length < 2 || !lines[0].StartsWith("+OK") || lines[^1] != ".") return false;
        int previous = 0;
        foreach (var l in lines[1..^1])
        {
            var m = Regex.Match(l, uidl ? @"^(\d+) [\x21-\x7E]{1,70}$" : @"^(\d+) \d+$");
            if (!m.Success || int.Parse(m.Groups[1].Value) <= previous || int.Parse(m.Groups[1].Value) > count) return false;
            previous = int.Parse(m.Groups[1].Value);
        }
        return true;
    }

    /// <summary>RFC 2449 §5: a CAPA list is capability tags with optional arguments, then ".".</summary>
    private static bool Capa(string[] lines) =>
        lines[0].StartsWith("+OK") && lines[^1] == "." && lines[1..^1].All(l => Regex.IsMatch(l, @"^[A-Z0-9][A-Z0-9-]*( [\x21-\x7E]+)*$"));

    [Fact]
    public void The_checks_accept_the_recorded_replies_and_reject_the_malformed_ones()
    {
        Assert.True(Stat(File("gmail/stat.txt")[0]));
        Assert.All(new[] { "comcast/stat-error1.txt", "comcast/stat-error2.txt", "comcast/stat-error3.txt" }, f => Assert.False(Stat(File(f)[0])));
        Assert.True(Single(File("gmail/list1.txt")[0], uidl: false));
        Assert.True(Single(File("gmail/uidl1.txt")[0], uidl: true));
        Assert.False(Single(File("comcast/list1-error1.txt")[0], uidl: false));
        Assert.False(Single(File("comcast/list1-error3.txt")[0], uidl: false));
        Assert.True(Listing(File("gmail/list.txt"), 3, uidl: false));
        Assert.True(Listing(File("comcast/list.txt"), 7, uidl: false));
        Assert.True(Listing(File("gmail/uidl.txt"), 3, uidl: true));
        Assert.True(Listing(File("exchange/uidl.txt"), 7, uidl: true));
        Assert.All(new[] { "comcast/list-error1.txt", "comcast/list-error2.txt", "comcast/list-error3.txt" }, f => Assert.False(Listing(File(f), 7, uidl: false)));
        Assert.All(new[] { "gmail/uidl-error1.txt", "gmail/uidl-error2.txt" }, f => Assert.False(Listing(File(f), 3, uidl: true)));
        Assert.True(Capa(File("gmail/capa1.txt")));
        Assert.True(Capa(File("comcast/capa2.txt")));
    }

    [Fact]
    public async Task MailLab_replies_have_the_same_shapes()
    {
        await using var lab = Pop3Lab.Create(plaintextAuth: true);
        foreach (var body in new[] { "Subject: a\r\n\r\none\r\n", "Subject: b\r\n\r\ntwo two\r\n", "Subject: c\r\n\r\nthree\r\n" })
        {
            await Pop3Transcript.Deliver(lab.Store, "alice@uc.test", body);
        }
        await using var t = await Pop3Transcript.StartAsync(lab.Site("uc"));
        var (capaStatus, capa) = await t.ExpectMulti("CAPA");
        Assert.True(Capa([capaStatus, .. capa, "."]));
        await t.LoginAsync("alice@uc.test", "lab-alice");
        Assert.True(Stat(await t.Expect("STAT", "+OK")));
        Assert.True(Single(await t.Expect("LIST 2", "+OK"), uidl: false));
        Assert.True(Single(await t.Expect("UIDL 2", "+OK"), uidl: true));
        await t.Expect("DELE 2", "+OK");
        var (listStatus, list) = await t.ExpectMulti("LIST");
        Assert.True(Listing([listStatus, .. list, "."], 3, uidl: false));
        Assert.Equal(2, list.Count);
        var (uidlStatus, uidl) = await t.ExpectMulti("UIDL");
        Assert.True(Listing([uidlStatus, .. uidl, "."], 3, uidl: true));
    }
}
