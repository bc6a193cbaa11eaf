using MailLab.Protocols.Smtp;

namespace MailLab.Tests.Protocols.Smtp;

public class SmtpStateTableTests
{
    private const SmtpState C = SmtpState.Connected, G = SmtpState.Greeted, M = SmtpState.MailGiven, R = SmtpState.RcptGiven;

    // The expected diagram, written out by hand from RFC 5321 §4.1.4, RFC 3207 §4 and RFC 4954 §4.
    [Theory]
    [InlineData(C, SmtpVerb.Ehlo, G)]
    [InlineData(G, SmtpVerb.Ehlo, G)]
    [InlineData(M, SmtpVerb.Ehlo, G)]
    [InlineData(R, SmtpVerb.Ehlo, G)]
    [InlineData(C, SmtpVerb.Helo, G)]
    [InlineData(G, SmtpVerb.Helo, G)]
    [InlineData(M, SmtpVerb.Helo, G)]
    [InlineData(R, SmtpVerb.Helo, G)]
    [InlineData(G, SmtpVerb.Mail, M)]
    [InlineData(M, SmtpVerb.Rcpt, R)]
    [InlineData(R, SmtpVerb.Rcpt, R)]
    [InlineData(R, SmtpVerb.Data, G)]
    [InlineData(C, SmtpVerb.Rset, C)]
    [InlineData(G, SmtpVerb.Rset, G)]
    [InlineData(M, SmtpVerb.Rset, G)]
    [InlineData(R, SmtpVerb.Rset, G)]
    [InlineData(C, SmtpVerb.Noop, C)]
    [InlineData(M, SmtpVerb.Noop, M)]
    [InlineData(R, SmtpVerb.Help, R)]
    [InlineData(G, SmtpVerb.Help, G)]
    [InlineData(C, SmtpVerb.Vrfy, C)]
    [InlineData(R, SmtpVerb.Vrfy, R)]
    [InlineData(M, SmtpVerb.Expn, M)]
    [InlineData(C, SmtpVerb.Quit, C)]
    [InlineData(R, SmtpVerb.Quit, R)]
    [InlineData(G, SmtpVerb.StartTls, C)]
    [InlineData(G, SmtpVerb.Auth, G)]
    public void Allowed(SmtpState state, SmtpVerb verb, SmtpState next)
    {
        Assert.True(SmtpStateTable.TryTransition(state, verb, out SmtpState actual));
        Assert.Equal(next, actual);
    }

    [Theory]
    [InlineData(C, SmtpVerb.Mail, "Send EHLO/HELO first")]
    [InlineData(C, SmtpVerb.Rcpt, "Send EHLO/HELO first")]
    [InlineData(C, SmtpVerb.Data, "Send EHLO/HELO first")]
    [InlineData(C, SmtpVerb.StartTls, "Send EHLO/HELO first")]
    [InlineData(C, SmtpVerb.Auth, "Send EHLO/HELO first")]
    [InlineData(G, SmtpVerb.Rcpt, "Need MAIL before RCPT")]
    [InlineData(G, SmtpVerb.Data, "Need MAIL and RCPT before DATA")]
    [InlineData(M, SmtpVerb.Data, "Need RCPT before DATA")]
    [InlineData(M, SmtpVerb.Mail, "Nested MAIL command")]
    [InlineData(R, SmtpVerb.Mail, "Nested MAIL command")]
    [InlineData(M, SmtpVerb.StartTls, "STARTTLS not allowed during a mail transaction, send RSET first")]
    [InlineData(R, SmtpVerb.StartTls, "STARTTLS not allowed during a mail transaction, send RSET first")]
    [InlineData(M, SmtpVerb.Auth, "AUTH not allowed during a mail transaction, send RSET first")]
    [InlineData(R, SmtpVerb.Auth, "AUTH not allowed during a mail transaction, send RSET first")]
    public void Bad_sequence(SmtpState state, SmtpVerb verb, string text)
    {
        Assert.False(SmtpStateTable.TryTransition(state, verb, out _));
        Assert.Equal($"503 5.5.1 {text}\r\n", SmtpStateTable.BadSequence(state, verb).Render());
    }

    [Fact]
    public void The_two_lists_above_cover_every_state_and_verb()
    {
        // 13 table verbs x 4 states = 52 pairs: 38 allowed (checked by row count) + 14 bad sequences.
        Assert.Equal(38, SmtpStateTable.Rows.Count);
        Assert.Equal(38, SmtpStateTable.Rows.Select(r => (r.State, r.Verb)).Distinct().Count());
        int bad = 0;
        foreach (SmtpState s in Enum.GetValues<SmtpState>())
        {
            foreach (SmtpVerb v in Enum.GetValues<SmtpVerb>().Where(v => v is not SmtpVerb.Bdat and not SmtpVerb.Unknown))
            {
                if (!SmtpStateTable.TryTransition(s, v, out _))
                    bad++;
            }
        }
        Assert.Equal(14, bad);
    }

    [Theory]
    [InlineData(SmtpVerb.Bdat)]
    [InlineData(SmtpVerb.Unknown)]
    public void Unknown_verbs_have_no_rows(SmtpVerb verb)
    {
        foreach (SmtpState s in Enum.GetValues<SmtpState>())
            Assert.False(SmtpStateTable.TryTransition(s, verb, out _));
        Assert.Equal(500, SmtpStateTable.BadSequence(G, verb).Code);
    }

    [Fact]
    public void BadSequence_for_an_allowed_pair_is_a_programming_error()
    {
        Assert.Throws<ArgumentException>(() => SmtpStateTable.BadSequence(G, SmtpVerb.Mail));
    }

    [Fact]
    public void A_whole_transaction_walks_the_table()
    {
        SmtpState s = C;
        foreach (SmtpVerb v in new[] { SmtpVerb.Ehlo, SmtpVerb.StartTls, SmtpVerb.Ehlo, SmtpVerb.Auth, SmtpVerb.Mail, SmtpVerb.Rcpt, SmtpVerb.Rcpt, SmtpVerb.Data, SmtpVerb.Mail, SmtpVerb.Rset, SmtpVerb.Quit })
            Assert.True(SmtpStateTable.TryTransition(s, v, out s), $"{v} in {s}");
        Assert.Equal(G, s);
    }
}
