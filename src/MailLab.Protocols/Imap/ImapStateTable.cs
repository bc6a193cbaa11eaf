namespace MailLab.Protocols.Imap;

/// <summary>The connection states of RFC 3501 §3.</summary>
public enum ImapState
{
    /// <summary>Before LOGIN/AUTHENTICATE.</summary>
    NotAuthenticated,
    /// <summary>Logged in, no mailbox selected.</summary>
    Authenticated,
    /// <summary>A mailbox is selected (SELECT or EXAMINE).</summary>
    Selected,
    /// <summary>After LOGOUT.</summary>
    Logout,
}

/// <summary>
/// Which command is valid in which state (RFC 3501 §6), as one table a student can read next to
/// the state diagram of §3. A command not listed is unknown; one listed for other states gets BAD.
/// </summary>
public static class ImapStateTable
{
    private const ImapState Any = (ImapState)(-1);

    private static readonly Dictionary<string, ImapState[]> Table = new(StringComparer.Ordinal)
    {
        // §6.1 any state
        ["CAPABILITY"] = [Any], ["NOOP"] = [Any], ["LOGOUT"] = [Any], ["ID"] = [Any],
        // §6.2 not authenticated
        ["STARTTLS"] = [ImapState.NotAuthenticated], ["AUTHENTICATE"] = [ImapState.NotAuthenticated], ["LOGIN"] = [ImapState.NotAuthenticated],
        // §6.3 authenticated (and so also selected)
        ["ENABLE"] = [ImapState.Authenticated], // RFC 5161 §3.1: only before a mailbox is selected
        ["SELECT"] = Authed, ["EXAMINE"] = Authed, ["CREATE"] = Authed, ["DELETE"] = Authed, ["RENAME"] = Authed,
        ["SUBSCRIBE"] = Authed, ["UNSUBSCRIBE"] = Authed, ["LIST"] = Authed, ["LSUB"] = Authed, ["STATUS"] = Authed,
        ["APPEND"] = Authed, ["NAMESPACE"] = Authed, ["IDLE"] = Authed,
        // §6.4 selected
        ["CHECK"] = Sel, ["CLOSE"] = Sel, ["UNSELECT"] = Sel, ["EXPUNGE"] = Sel, ["SEARCH"] = Sel, ["FETCH"] = Sel,
        ["STORE"] = Sel, ["COPY"] = Sel, ["MOVE"] = Sel,
    };

    private static ImapState[] Authed => [ImapState.Authenticated, ImapState.Selected];

    private static ImapState[] Sel => [ImapState.Selected];

    /// <summary>Commands that have a UID form (RFC 3501 §6.4.8, RFC 4315 §2.1, RFC 6851).</summary>
    public static bool HasUidForm(string name) => name is "FETCH" or "STORE" or "SEARCH" or "COPY" or "MOVE" or "EXPUNGE";

    /// <summary>True when the command exists at all.</summary>
    public static bool IsKnown(string name) => Table.ContainsKey(name);

    /// <summary>True when the command may be given in <paramref name="state"/>.</summary>
    public static bool IsAllowed(string name, ImapState state) =>
        Table.TryGetValue(name, out var states) && (states[0] == Any || Array.IndexOf(states, state) >= 0);

    /// <summary>The states a command is valid in, for the BAD text.</summary>
    public static string Describe(string name) =>
        !Table.TryGetValue(name, out var states) ? "unknown command"
        : states[0] == Any ? "any state"
        : string.Join(" or ", states.Select(s => s switch
        {
            ImapState.NotAuthenticated => "not authenticated",
            ImapState.Authenticated => "authenticated",
            _ => "selected",
        }));
}
