using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MailLab.Server.Lab;

/// <summary>Syntax checks and normal forms for the names and addresses in a lab file.</summary>
internal static class LabNames
{
    /// <summary>The domain of a mail address, lower-cased (RFC 5321 §2.4: domains are not case-sensitive); "" without one.</summary>
    public static string DomainOf(string address)
    {
        var at = address.LastIndexOf('@');
        return at < 0 ? "" : address[(at + 1)..].ToLowerInvariant();
    }

    /// <summary>Lower case, without a trailing root dot: DNS names compare case-insensitively (RFC 4343).</summary>
    public static string NormalizeDomain(string domain) =>
        domain.Trim().TrimEnd('.').ToLowerInvariant();

    /// <summary>An LDH host name (RFC 1123 §2.1): labels of 1..63 letters, digits and inner hyphens, 253 octets at most.</summary>
    public static bool IsDnsName(string name)
    {
        if (name.Length is 0 or > 253)
        {
            return false;
        }

        foreach (string label in name.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (char c in label)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-'))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Site names end up in file names (certificates), so only a safe set of characters.</summary>
    public static bool IsSiteName(string name)
    {
        if (name.Length is 0 or > 63 || !char.IsAsciiLetterOrDigit(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A dot-atom local part (RFC 5322 §3.2.3); quoted local parts are not allowed for lab users.</summary>
    public static bool IsDotAtom(string local)
    {
        if (local.Length is 0 or > 64 || local[0] == '.' || local[^1] == '.' || local.Contains("..", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (char c in local)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '.' || "!#$%&'*+-/=?^_`{|}~".Contains(c)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Strict IP parsing: IPAddress.TryParse also takes "127.1" and "2130706433", which would hide typos,
    /// so IPv4 must be four dotted decimals.
    /// </summary>
    public static bool TryParseIp(string text, out IPAddress address)
    {
        address = IPAddress.None;
        if (!IPAddress.TryParse(text, out IPAddress? parsed))
        {
            return false;
        }

        if (parsed.AddressFamily == AddressFamily.InterNetwork)
        {
            string[] parts = text.Split('.');
            if (parts.Length != 4)
            {
                return false;
            }

            foreach (string part in parts)
            {
                if (part.Length is 0 or > 3 || !int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int octet) || octet > 255)
                {
                    return false;
                }
            }
        }
        else if (parsed.ScopeId != 0 || text.Contains('%'))
        {
            return false; // a scope id ties the file to one machine's interface numbering
        }

        address = parsed;
        return true;
    }
}
