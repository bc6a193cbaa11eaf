namespace MailLab.Protocols.Smtp;

/// <summary>Where an SMTP session is in the dialogue of RFC 5321 §3.3 and §4.1.4.</summary>
public enum SmtpState
{
    /// <summary>Greeting sent, no EHLO/HELO yet (or reset by STARTTLS).</summary>
    Connected,

    /// <summary>EHLO/HELO done, no mail transaction open.</summary>
    Greeted,

    /// <summary>MAIL accepted: a transaction is open.</summary>
    MailGiven,

    /// <summary>At least one RCPT accepted.</summary>
    RcptGiven,
}

/// <summary>One row of the state diagram: in <paramref name="State"/>, <paramref name="Verb"/> is allowed and leads to <paramref name="Next"/>.</summary>
public sealed record SmtpTransition(SmtpState State, SmtpVerb Verb, SmtpState Next);

/// <summary>
/// The SMTP state diagram as data. A verb/state pair missing from <see cref="Rows"/> is a bad
/// sequence (503 5.5.1), and the reply text is derived from the rows. "Next" is where a
/// successful command leads; a failed command leaves the state unchanged.
/// </summary>
public static class SmtpStateTable
{
    private const SmtpState C = SmtpState.Connected, G = SmtpState.Greeted, M = SmtpState.MailGiven, R = SmtpState.RcptGiven;

    /// <summary>The diagram, one row per allowed (state, verb).</summary>
    public static IReadOnlyList<SmtpTransition> Rows { get; } =
    [
        // §4.1.4: EHLO/HELO may come at any time; they reset the session like RSET, to Greeted.
        .. Every(SmtpVerb.Ehlo, _ => G),
        .. Every(SmtpVerb.Helo, _ => G),

        // §4.1.1.2: MAIL starts a transaction, only when none is open.
        new(G, SmtpVerb.Mail, M),

        // §4.1.1.3: RCPT needs MAIL; more RCPTs may follow.
        new(M, SmtpVerb.Rcpt, R),
        new(R, SmtpVerb.Rcpt, R),

        // §4.1.1.4: DATA needs a recipient; after the message the transaction is over.
        new(R, SmtpVerb.Data, G),

        // §4.1.1.5: RSET any time, ends the transaction but keeps the greeting.
        new(C, SmtpVerb.Rset, C),
        new(G, SmtpVerb.Rset, G),
        new(M, SmtpVerb.Rset, G),
        new(R, SmtpVerb.Rset, G),

        // §4.1.4: NOOP, HELP, VRFY, EXPN and QUIT any time, without changing the state.
        .. Every(SmtpVerb.Noop, s => s),
        .. Every(SmtpVerb.Help, s => s),
        .. Every(SmtpVerb.Vrfy, s => s),
        .. Every(SmtpVerb.Expn, s => s),
        .. Every(SmtpVerb.Quit, s => s),

        // RFC 3207 §4.2: STARTTLS after EHLO, outside a transaction; afterwards the client must EHLO again.
        new(G, SmtpVerb.StartTls, C),

        // RFC 4954 §4: AUTH after EHLO, not during a mail transaction.
        new(G, SmtpVerb.Auth, G),
    ];

    private static readonly Dictionary<(SmtpState, SmtpVerb), SmtpState> Lookup =
        Rows.ToDictionary(r => (r.State, r.Verb), r => r.Next);

    /// <summary>Whether a mail transaction is open (§3.3).</summary>
    public static bool IsInTransaction(SmtpState state) => state is SmtpState.MailGiven or SmtpState.RcptGiven;

    /// <summary>Looks up the row for (state, verb).</summary>
    public static bool TryTransition(SmtpState state, SmtpVerb verb, out SmtpState next) =>
        Lookup.TryGetValue((state, verb), out next);

    /// <summary>
    /// The 503 5.5.1 reply for a verb not allowed in a state, worded from the table: what the
    /// client must send first, or why the command is not allowed now.
    /// </summary>
    public static SmtpReply BadSequence(SmtpState state, SmtpVerb verb)
    {
        SmtpState[] allowed = Rows.Where(r => r.Verb == verb).Select(r => r.State).ToArray();
        if (allowed.Length == 0)
            return SmtpReply.CommandUnrecognized();
        if (allowed.Contains(state))
            throw new ArgumentException($"{Name(verb)} is allowed in {state}; not a bad sequence.", nameof(verb));

        if (state == SmtpState.Connected)
            return SmtpReply.BadSequence($"Send {StepsOut(SmtpState.Connected)} first");

        if (state < allowed.Min())
        {
            // Walk forward from the current state, naming each verb that moves the dialogue on.
            var steps = new List<string>();
            for (SmtpState s = state; s < allowed.Min(); s++)
                steps.Add(StepsOut(s));
            return SmtpReply.BadSequence($"Need {string.Join(" and ", steps)} before {Name(verb)}");
        }

        // The verb is only allowed earlier: a transaction is open.
        bool opensTransaction = Rows.Any(r => r.Verb == verb && !IsInTransaction(r.State) && IsInTransaction(r.Next));
        return SmtpReply.BadSequence(opensTransaction
            ? $"Nested {Name(verb)} command"
            : $"{Name(verb)} not allowed during a mail transaction, send RSET first");
    }

    // The verbs whose rows lead from state to the next state, e.g. "EHLO/HELO".
    private static string StepsOut(SmtpState state) =>
        string.Join("/", Rows.Where(r => r.State == state && r.Next == state + 1).Select(r => Name(r.Verb)));

    /// <summary>The verb as it is written on the wire.</summary>
    public static string Name(SmtpVerb verb) => verb.ToString().ToUpperInvariant();

    private static IEnumerable<SmtpTransition> Every(SmtpVerb verb, Func<SmtpState, SmtpState> next) =>
        Enum.GetValues<SmtpState>().Select(s => new SmtpTransition(s, verb, next(s)));
}
