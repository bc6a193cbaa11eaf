using MailLab.MailAuth.Dmarc;
using MailLab.Protocols.Smtp;
using MailLab.Server.Lab;

namespace MailLab.Server.Checks;

/// <summary>
/// The MSA's rule for the header From (RFC 6409 §8: the MSA may enforce the author identity), read
/// the way the receiving MTA's DMARC reads it: one From field naming one mailbox, the authenticated
/// user's own address (compared case-insensitively, as lab users are); the display name is free text.
/// A message without From passes unchanged (nothing to forge; kept as before). The switch
/// allow-sender-forgery turns the rule off, as it does for the envelope sender.
/// </summary>
internal sealed class SubmissionFromCheck : ReceiveCheck
{
    /// <inheritdoc />
    public override Task<SmtpReply?> MessageAsync(ReceiveContext c)
    {
        if (c.User is null || c.Site.Lab.Switches.AllowSenderForgery) return Task.FromResult<SmtpReply?>(null);
        var author = c.Message.Author;
        if (Decide(c.User, author) is not { } refusal) return Task.FromResult<SmtpReply?>(null);
        // RFC 6409 §8: the envelope check alone would let alice have carol's From signed for uc.test.
        refusal.TraceRefusal(c.Trace, "DATA", author.Address ?? author.FieldValue ?? "");
        return Task.FromResult<SmtpReply?>(refusal.Reply);
    }

    /// <summary>The refusal for <paramref name="user"/> sending as <paramref name="a"/>, or null when it is theirs (or missing).</summary>
    public static PolicyDecision? Decide(UserDefinition user, AuthorDomain a)
    {
        if (a.Problem == FromProblem.Missing) return null;
        if (a.Problem is not null)
        {
            return PolicyDecision.Refuse(550, "5.7.1",
                $"From header cannot be checked ({a.ProblemKeyword}: {a.Reason}); it must name only your address {user.Address}",
                "header From " + a.ProblemKeyword);
        }
        if (!string.Equals(a.Address, user.Address, StringComparison.OrdinalIgnoreCase))
        {
            return PolicyDecision.Refuse(550, "5.7.1",
                $"From: <{a.Address}> is not your address; you are authenticated as {user.Address} (RFC 6409 §8)",
                "header From not the user's");
        }
        return null;
    }
}
