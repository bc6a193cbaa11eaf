namespace MailLab.Protocols.Pop3;

/// <summary>Where a POP3 session is (RFC 1939 §3).</summary>
public enum Pop3State
{
    /// <summary>Greeting sent; the client must identify itself (RFC 1939 §4).</summary>
    Authorization,

    /// <summary>USER accepted; PASS (or QUIT) comes next (RFC 1939 §7).</summary>
    UserGiven,

    /// <summary>Logged in, the maildrop locked (RFC 1939 §5).</summary>
    Transaction,

    /// <summary>QUIT in TRANSACTION: deletions are applied and the session ends (RFC 1939 §6).</summary>
    Update,
}

/// <summary>
/// One row of the diagram: in <paramref name="State"/>, <paramref name="Verb"/> is allowed; success
/// leads to <paramref name="Next"/>, a -ERR to <paramref name="Failed"/>.
/// </summary>
public sealed record Pop3Transition(Pop3State State, Pop3Verb Verb, Pop3State Next, Pop3State Failed);

/// <summary>
/// The POP3 state diagram as data. A (state, verb) pair missing from <see cref="Rows"/> gets a -ERR
/// worded from the rows: in which state the command is valid.
/// </summary>
public static class Pop3StateTable
{
    private const Pop3State A = Pop3State.Authorization, U = Pop3State.UserGiven, T = Pop3State.Transaction, Q = Pop3State.Update;

    /// <summary>The diagram, one row per allowed (state, verb).</summary>
    public static IReadOnlyList<Pop3Transition> Rows { get; } =
    [
        // RFC 1939 §7: USER, then PASS; a failed PASS returns to AUTHORIZATION. A second USER restarts.
        new(A, Pop3Verb.User, U, A),
        new(U, Pop3Verb.User, U, A),
        new(U, Pop3Verb.Pass, T, A),

        // RFC 1939 §7 APOP and RFC 5034 §4 AUTH: one step from AUTHORIZATION to TRANSACTION.
        new(A, Pop3Verb.Apop, T, A),
        new(A, Pop3Verb.Auth, T, A),

        // RFC 2595 §4: STLS only in AUTHORIZATION; afterwards the client starts over.
        new(A, Pop3Verb.Stls, A, A),

        // RFC 2449 §5: CAPA in AUTHORIZATION and TRANSACTION.
        new(A, Pop3Verb.Capa, A, A),
        new(U, Pop3Verb.Capa, U, U),
        new(T, Pop3Verb.Capa, T, T),

        // RFC 1939 §4 and §6: QUIT before login just closes; in TRANSACTION it enters UPDATE.
        new(A, Pop3Verb.Quit, A, A),
        new(U, Pop3Verb.Quit, U, U),
        new(T, Pop3Verb.Quit, Q, Q),

        // RFC 1939 §5 and §7: the maildrop commands, TRANSACTION only.
        new(T, Pop3Verb.Stat, T, T),
        new(T, Pop3Verb.List, T, T),
        new(T, Pop3Verb.Retr, T, T),
        new(T, Pop3Verb.Dele, T, T),
        new(T, Pop3Verb.Noop, T, T),
        new(T, Pop3Verb.Rset, T, T),
        new(T, Pop3Verb.Top, T, T),
        new(T, Pop3Verb.Uidl, T, T),
    ];

    private static readonly Dictionary<(Pop3State, Pop3Verb), Pop3Transition> Lookup =
        Rows.ToDictionary(r => (r.State, r.Verb));

    /// <summary>The row for (state, verb), or null when the verb is not valid in that state.</summary>
    public static Pop3Transition? Find(Pop3State state, Pop3Verb verb) => Lookup.GetValueOrDefault((state, verb));

    /// <summary>The -ERR text for a verb not valid in <paramref name="state"/>, derived from the rows.</summary>
    public static string BadSequence(Pop3State state, Pop3Verb verb)
    {
        var name = verb.ToString().ToUpperInvariant();
        var allowed = Rows.Where(r => r.Verb == verb).Select(r => r.State).Distinct().ToArray();
        if (allowed.Contains(state))
            throw new ArgumentException($"{name} is allowed in {state}; not a bad sequence.", nameof(verb));
        if (allowed.SequenceEqual([T]))
            return $"{name} is only valid in the TRANSACTION state; log in first";
        if (allowed.SequenceEqual([U]))
            return $"{name} must follow a successful USER";
        if (state == T)
            return $"{name} is only valid before login; already logged in";
        if (state == U)
            return $"{name} is not valid after USER; send PASS or QUIT"; // RFC 1939 §7
        return $"{name} is not valid now";
    }
}
