namespace MailLab.Server.Store;

/// <summary>An address or folder name the store refuses (path traversal, control characters, bad syntax).</summary>
internal sealed class InvalidMailboxNameException(string paramName, string value, string reason)
    : ArgumentException($"Invalid {paramName} '{Printable(value)}': {reason}", paramName)
{
    /// <summary>Why the name was refused, for the log or a protocol reply.</summary>
    public string Reason { get; } = reason;

    // Control characters in the message would corrupt a log line; show them escaped.
    private static string Printable(string s) =>
        string.Concat(s.Select(c => char.IsControl(c) ? $"\\x{(int)c:X2}" : c.ToString()));
}

/// <summary>The store could not do what was asked (I/O failure, corrupt state, UID space exhausted).</summary>
internal sealed class StoreException : IOException
{
    public StoreException(string message) : base(message) { }
    public StoreException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// The folder does not exist (any more): deleted or renamed by another session. Reading, flagging or
/// listing never creates a folder; only delivery and an explicit create do (issue 20: a deleted folder
/// came back when another session still used it).
/// </summary>
internal sealed class MailboxNotFoundException(string folder) : IOException($"No such folder: {folder}")
{
    /// <summary>The folder's store name.</summary>
    public string Folder { get; } = folder;
}
