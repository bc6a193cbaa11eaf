using MailLab.Server.Store;

namespace MailLab.Tests.Store;

public class MaildirFileNameTests
{
    [Theory]
    [InlineData(MessageFlags.None, "")]
    [InlineData(MessageFlags.Seen, "S")]
    [InlineData(MessageFlags.Deleted | MessageFlags.Seen, "ST")]
    [InlineData(MessageFlags.Seen | MessageFlags.Answered | MessageFlags.Flagged | MessageFlags.Deleted | MessageFlags.Draft, "DFRST")]
    public void Flags_use_maildir_letters_in_ascii_order(MessageFlags flags, string letters)
    {
        Assert.Equal(letters, MaildirInfo.ToLetters(flags));
        Assert.Equal(flags, MaildirInfo.FromLetters(letters));
    }

    [Fact]
    public void Unknown_info_letters_are_ignored()
    {
        Assert.Equal(MessageFlags.Seen, MaildirInfo.FromLetters("PSab"));
    }

    [Theory]
    [InlineData(false, MessageFlags.None)]
    [InlineData(true, MessageFlags.None)]
    [InlineData(true, MessageFlags.Seen | MessageFlags.Flagged)]
    public void Names_round_trip(bool hasInfo, MessageFlags flags)
    {
        var name = new MaildirFileName(MaildirFileName.NewUnique(), 4_000_000_000, 10240, flags, hasInfo);
        Assert.True(MaildirFileName.TryParse(name.ToString(), out var parsed));
        Assert.Equal(name, parsed);
    }

    [Fact]
    public void Unique_names_differ_and_contain_no_separators()
    {
        var names = Enumerable.Range(0, 1000).Select(_ => MaildirFileName.NewUnique()).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(names, n => Assert.DoesNotContain(n, c => c is '/' or ':' or ','));
    }

    [Theory]
    [InlineData("1700000000.M1P2Q3.host")]          // no UID: a hand-delivered file
    [InlineData("1700000000.M1P2Q3.host,S=10")]
    [InlineData("x,U=0,S=10")]                       // UID 0 is not a UID (RFC 9051 §2.3.1.1: non-zero)
    [InlineData("x,U=5,S=10:1,S")]                   // experimental info version 1
    [InlineData(".x,U=5,S=10")]
    [InlineData(",U=5,S=10")]
    [InlineData("x,U=-5,S=10")]
    public void Foreign_names_do_not_parse(string fileName)
    {
        Assert.False(MaildirFileName.TryParse(fileName, out _));
    }

    [Fact]
    public void A_real_name_parses()
    {
        Assert.True(MaildirFileName.TryParse("1735689600.M12P34Q5.mx1,U=7,S=10240:2,RS", out var n));
        Assert.Equal(new MaildirFileName("1735689600.M12P34Q5.mx1", 7, 10240, MessageFlags.Answered | MessageFlags.Seen, true), n);
    }
}
