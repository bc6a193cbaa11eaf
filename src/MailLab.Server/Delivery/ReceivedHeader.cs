using System.Net;
using System.Text;
using MimeKit.Utils;

namespace MailLab.Server.Delivery;

/// <summary>TLS details of a hop, as shown in its Received line.</summary>
public sealed record TlsDetails(string Version, string Cipher, int Bits);

/// <summary>What one hop knows when it accepts a message.</summary>
internal sealed record ReceivedInfo(
    string HeloName,
    IPAddress ClientAddress,
    string ByHost,
    string Software,
    bool Esmtp,
    bool Authenticated,
    bool Utf8,
    TlsDetails? Tls,
    string Id,
    string? For,
    DateTimeOffset Date);

/// <summary>
/// The one helper that writes a Received header, for every hop (MSA and MTA), so that relayed
/// mail carries a chain like the lecture's example message.
/// </summary>
internal static class ReceivedHeader
{
    /// <summary>
    /// The WITH protocol name: RFC 3848 (ESMTP, ESMTPA, ESMTPS, ESMTPSA) and RFC 6531 §3.7.3
    /// (UTF8SMTP and its A/S variants).
    /// </summary>
    public static string Protocol(ReceivedInfo info)
    {
        var name = info.Utf8 ? "UTF8SMTP" : info.Esmtp ? "ESMTP" : "SMTP";
        if (!info.Esmtp && !info.Utf8) return name;
        return name + (info.Tls is not null ? "S" : "") + (info.Authenticated ? "A" : "");
    }

    /// <summary>
    /// The field, folded, ending in CRLF. Grammar of RFC 5321 §4.4: "from" Extended-Domain with the
    /// TCP-info address literal, "by" Domain, "with" protocol, "id", "for" only with one recipient
    /// (it would disclose Bcc recipients otherwise, §7.2), then "; " date-time.
    /// </summary>
    public static string Format(ReceivedInfo info)
    {
        var sb = new StringBuilder(256);
        sb.Append("Received: from ").Append(Sanitize(info.HeloName))
          .Append(" (").Append(AddressLiteral(info.ClientAddress)).Append(")\r\n");
        sb.Append("\tby ").Append(info.ByHost).Append(" (").Append(info.Software).Append(')')
          .Append(" with ").Append(Protocol(info)).Append(" id ").Append(info.Id);
        if (info.Tls is { } tls)
        {
            sb.Append("\r\n\t(version=").Append(tls.Version).Append(" cipher=").Append(tls.Cipher)
              .Append(" bits=").Append(tls.Bits).Append('/').Append(tls.Bits).Append(')');
        }
        if (info.For is not null)
        {
            sb.Append("\r\n\tfor <").Append(info.For).Append('>');
        }
        sb.Append(";\r\n\t").Append(DateUtils.FormatDate(info.Date)).Append("\r\n");
        return sb.ToString();
    }

    /// <summary>An address literal of RFC 5321 §4.1.3: [192.0.2.1] or [IPv6:...].</summary>
    public static string AddressLiteral(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[IPv6:{address}]"
            : $"[{address}]";
    }

    // The HELO name is the client's claim: keep it on one line and free of comment syntax.
    private static string Sanitize(string helo)
    {
        var sb = new StringBuilder(helo.Length);
        foreach (var c in helo)
        {
            sb.Append(c is < ' ' or '(' or ')' or '\\' or (char)127 ? '_' : c);
        }
        return sb.Length == 0 ? "unknown" : sb.ToString();
    }
}
