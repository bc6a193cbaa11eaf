namespace MailLab.Tests.Imap.Conformance;

/// <summary>
/// Which imaptest scripts (tests/MailLab.Tests/Imap/data/imaptest, from dovecot/imaptest src/tests)
/// MailLab's IMAP server must pass, and every upstream script left out, with the reason.
/// </summary>
public static class ImaptestScripts
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Imap", "data", "imaptest");

    /// <summary>The 32 IMAP4rev1-only scripts, and those needing only ID, LIST-EXTENDED, MOVE or UIDPLUS.</summary>
    public static readonly string[] Required =
    [
        "append", "atoms", "close", "copy", "expunge", "expunge2", "fetch", "fetch-body", "fetch-body-message-rfc822",
        "fetch-body-message-rfc822-mime", "fetch-body-message-rfc822-x2", "fetch-body-mime", "fetch-bodystructure",
        "fetch-envelope", "list", "logout", "mutf7", "nil", "pipeline", "pipeline-connections", "search-addresses",
        "search-body", "search-date", "search-flags", "search-header", "search-sets", "search-size", "select", "store",
        "subscribe", "uidvalidity", "uidvalidity-rename",
        "id", "listext", "move", "uidplus",
    ];

    /// <summary>Upstream scripts not run, each needing an extension issue 8 does not ask for (not copied here).</summary>
    public static readonly IReadOnlyDictionary<string, string> Excluded = new Dictionary<string, string>
    {
        ["append-binary"] = "BINARY (RFC 3516)",
        ["catenate"] = "CATENATE (RFC 4469)",
        ["catenate-multiappend"] = "CATENATE and MULTIAPPEND (RFC 4469, RFC 3502)",
        ["esearch"] = "ESEARCH (RFC 4731)",
        ["esearch-condstore"] = "ESEARCH and CONDSTORE (RFC 4731, RFC 7162)",
        ["esort"] = "ESORT (RFC 5267)",
        ["fetch-binary-mime"] = "BINARY (RFC 3516)",
        ["fetch-binary-mime-base64"] = "BINARY (RFC 3516)",
        ["fetch-binary-mime-qp"] = "BINARY (RFC 3516)",
        ["multiappend"] = "MULTIAPPEND (RFC 3502)",
        ["notify"] = "NOTIFY and QRESYNC (RFC 5465, RFC 7162)",
        ["search-context-update"] = "CONTEXT=SEARCH (RFC 5267)",
        ["search-context-update2"] = "CONTEXT=SEARCH (RFC 5267)",
        ["search-context-update3"] = "CONTEXT=SEARCH (RFC 5267)",
        ["search-partial"] = "CONTEXT=SEARCH (RFC 5267)",
        ["sort-addresses"] = "SORT (RFC 5256)",
        ["sort-arrival"] = "SORT (RFC 5256)",
        ["sort-date"] = "SORT (RFC 5256)",
        ["sort-display-from"] = "SORT=DISPLAY (RFC 5957)",
        ["sort-display-to"] = "SORT=DISPLAY (RFC 5957)",
        ["sort-partial"] = "CONTEXT=SORT (RFC 5267)",
        ["sort-size"] = "SORT (RFC 5256)",
        ["sort-subject"] = "SORT (RFC 5256)",
        ["thread"] = "THREAD=REFERENCES (RFC 5256)",
        ["thread2"] = "THREAD=REFERENCES (RFC 5256)",
        ["thread3"] = "THREAD=REFERENCES (RFC 5256)",
        ["thread4"] = "THREAD=REFERENCES (RFC 5256)",
        ["thread5"] = "THREAD=REFERENCES (RFC 5256)",
        ["thread6"] = "THREAD=REFERENCES (RFC 5256)",
        ["thread7"] = "THREAD=REFERENCES (RFC 5256)",
        ["thread8"] = "THREAD=REFERENCES (RFC 5256)",
        ["thread-orderedsubject"] = "THREAD=ORDEREDSUBJECT (RFC 5256)",
        ["thread-orderedsubject2"] = "THREAD=ORDEREDSUBJECT (RFC 5256)",
        ["urlauth"] = "URLAUTH (RFC 4467)",
        ["urlauth2"] = "URLAUTH (RFC 4467)",
        ["urlauth-binary"] = "URLAUTH and URLAUTH=BINARY (RFC 4467, RFC 5524)",
        ["broken/search-intdate"] = "kept aside upstream as broken",
    };

    public static TheoryData<string> RequiredData() => new(Required);

    public static string PathOf(string script) => Path.Combine(Directory, script);
}
