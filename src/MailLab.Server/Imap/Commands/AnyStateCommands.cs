using MailLab.Protocols.Imap;

namespace MailLab.Server.Imap.Commands;

/// <summary>Commands valid in any state (RFC 3501 §6.1): CAPABILITY, NOOP, LOGOUT, and ID (RFC 2971), ENABLE (RFC 5161), NAMESPACE (RFC 2342).</summary>
internal sealed class AnyStateCommands(ImapSession session) : ImapCommandGroup(session)
{
    /// <summary>CAPABILITY: exactly what this session implements now (RFC 3501 §6.1.1, §7.2.1).</summary>
    public void Capability() => Untagged("CAPABILITY " + Session.Capabilities());

    /// <summary>NOOP and CHECK: the changes others made are announced (RFC 3501 §6.1.2, §6.4.1).</summary>
    public async Task NoopAsync(ImapCommand c)
    {
        await SyncAsync(allowExpunge: true);
        Ok(c.Tag, $"{c.Name} completed");
    }

    /// <summary>LOGOUT (RFC 3501 §6.1.3): BYE, then the tagged OK, then the connection closes.</summary>
    public void Logout()
    {
        Untagged($"BYE {Session.HostName} IMAP4rev1 server logging out");
        Session.LoggedOut();
    }

    // RFC 2971: the server's ID; what the client says about itself is in the trace already.
    public void Id(ImapCommand c)
    {
        if (c.Arguments.Count != 1 || !(c.Arguments[0].IsNil || c.Arguments[0].Kind == ImapValueKind.List))
        {
            Bad(c.Tag, "Syntax: ID (\"name\" \"value\" ...) or ID NIL");
            return;
        }
        Untagged("ID (\"name\" \"MailLab\" \"vendor\" \"MailLab teaching lab\" \"support-url\" \"https://www.rfc-editor.org/rfc/rfc3501\")");
    }

    // RFC 5161: nothing this server implements needs enabling, so the answer lists nothing.
    public void Enable(ImapCommand c)
    {
        if (c.Arguments.Count == 0)
        {
            Bad(c.Tag, "Syntax: ENABLE capability ...");
            return;
        }
        Untagged("ENABLED");
    }

    // RFC 2342: one personal namespace with "/" as delimiter, no shared or other users' namespaces.
    public void Namespace() => Untagged("NAMESPACE ((\"\" \"/\")) NIL NIL");
}
