using System.Text;
using MimeKit;
using MimeKit.Utils;

namespace MailLab.Protocols.Imap;

/// <summary>Writes the ENVELOPE structure (RFC 3501 §7.4.2) from a parsed header.</summary>
public static class ImapEnvelope
{
    /// <summary>Loads a header block (from <see cref="HeaderBlock"/>) into MimeKit's header list.</summary>
    public static HeaderList Parse(byte[] header)
    {
        using var stream = new MemoryStream(header, writable: false);
        try
        {
            return HeaderList.Load(stream);
        }
        catch (FormatException)
        {
            return [];
        }
    }

    /// <summary>
    /// (date subject from sender reply-to to cc bcc in-reply-to message-id). Sender and Reply-To fall back
    /// to From when absent (RFC 3501 §7.4.2).
    /// </summary>
    public static void Write(ImapWriter w, HeaderList headers)
    {
        w.Raw("("u8);
        w.NString(Raw(headers, HeaderId.Date)).Raw(" "u8);
        w.NString(Raw(headers, HeaderId.Subject)).Raw(" "u8);
        var from = Addresses(headers, HeaderId.From);
        WriteAddresses(w, from);
        w.Raw(" "u8);
        WriteAddresses(w, Addresses(headers, HeaderId.Sender) ?? from);
        w.Raw(" "u8);
        WriteAddresses(w, Addresses(headers, HeaderId.ReplyTo) ?? from);
        foreach (var id in new[] { HeaderId.To, HeaderId.Cc, HeaderId.Bcc })
        {
            w.Raw(" "u8);
            WriteAddresses(w, Addresses(headers, id));
        }
        w.Raw(" "u8).NString(Raw(headers, HeaderId.InReplyTo));
        w.Raw(" "u8).NString(Raw(headers, HeaderId.MessageId));
        w.Raw(")"u8);
    }

    /// <summary>The field's value as sent (unfolded, encoded words left alone), or null when absent.</summary>
    public static string? Raw(HeaderList headers, HeaderId id)
    {
        var index = headers.IndexOf(id);
        if (index < 0)
        {
            return null;
        }
        var text = Encoding.UTF8.GetString(headers[index].RawValue);
        return text.Replace("\r\n", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal).Trim();
    }

    private static InternetAddressList? Addresses(HeaderList headers, HeaderId id)
    {
        var index = headers.IndexOf(id);
        if (index < 0)
        {
            return null;
        }
        return InternetAddressList.TryParse(headers[index].RawValue, out var list) && list.Count > 0 ? list : null;
    }

    private static void WriteAddresses(ImapWriter w, InternetAddressList? list)
    {
        if (list is null || list.Count == 0)
        {
            w.Raw("NIL"u8);
            return;
        }
        w.Raw("("u8);
        foreach (var address in list)
        {
            WriteAddress(w, address);
        }
        w.Raw(")"u8);
    }

    private static void WriteAddress(ImapWriter w, InternetAddress address)
    {
        if (address is GroupAddress group)
        {
            // RFC 3501 §7.4.2: a group starts with (NIL NIL "name" NIL) and ends with (NIL NIL NIL NIL).
            w.Raw("(NIL NIL "u8).String(group.Name ?? "").Raw(" NIL)"u8);
            foreach (var member in group.Members)
            {
                WriteAddress(w, member);
            }
            w.Raw("(NIL NIL NIL NIL)"u8);
            return;
        }
        var mailbox = (MailboxAddress)address;
        // RFC 3501 §7.4.2: the second field is the source route (adl), "@a,@b" as written, else NIL.
        var route = mailbox.Route.Count > 0 ? mailbox.Route.ToString() : null;
        w.Raw("("u8).NString(Phrase(mailbox.Name)).Raw(" "u8).NString(route).Raw(" "u8);
        var at = mailbox.Address.LastIndexOf('@');
        w.NString(at < 0 ? mailbox.Address : mailbox.Address[..at]).Raw(" "u8);
        w.NString(at < 0 ? null : mailbox.Address[(at + 1)..]).Raw(")"u8);
    }

    // Names go back on the wire as RFC 2047 encoded words when not ASCII (no UTF8=ACCEPT here).
    private static string? Phrase(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }
        return name.All(c => c < 0x7F) ? name : Encoding.ASCII.GetString(Rfc2047.EncodePhrase(Encoding.UTF8, name));
    }
}
