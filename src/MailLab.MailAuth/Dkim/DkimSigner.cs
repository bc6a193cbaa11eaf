using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MailLab.MailAuth.Dkim;

/// <summary>
/// Makes DKIM-Signature fields (RFC 6376 §5) over the octets of a CRLF message, with the same
/// canonicalizer the verifier uses, so what is signed is exactly what is sent.
/// </summary>
/// <remarks>
/// MimeKit's DkimSigner signs a parsed MimeMessage as MimeKit would write it; the MSA has the
/// message as received octets and keeps them unchanged, so it signs those directly.
/// </remarks>
public static class DkimSigner
{
    /// <summary>
    /// The header fields signed when present (RFC 6376 §5.4.1's list plus Message-ID and the MIME fields,
    /// whose change would alter what the reader sees). Trace fields (Received, Return-Path) are not signed (§5.4).
    /// </summary>
    public static readonly IReadOnlyList<string> RecommendedHeaders =
    [
        "From", "Reply-To", "Subject", "Date", "To", "Cc", "Message-ID", "In-Reply-To", "References",
        "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
        "Resent-Date", "Resent-From", "Resent-To", "Resent-Cc",
        "List-Id", "List-Help", "List-Unsubscribe", "List-Subscribe", "List-Post", "List-Owner", "List-Archive",
    ];

    /// <summary>
    /// The DKIM-Signature field (with its final CRLF) to put on top of <paramref name="message"/>:
    /// relaxed/relaxed, the recommended headers that are present, From once more than present
    /// (oversigned, so no second From can be added, RFC 6376 §8.15).
    /// </summary>
    public static string Sign(ReadOnlyMemory<byte> message, DkimPrivateKey key, string domain, string selector,
        DateTimeOffset now, TimeSpan? validity = null)
    {
        var parsed = DkimMessage.Parse(message);
        var h = new List<string>();
        foreach (string name in RecommendedHeaders)
        {
            int count = parsed.Headers.Count(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (name == "From") count++;
            for (int i = 0; i < count; i++) h.Add(name.ToLowerInvariant());
        }
        var body = DkimCanonicalizer.RelaxedBody(parsed.Body.Span);
        string bh = Convert.ToBase64String(SHA256.HashData(body));
        long t = now.ToUnixTimeSeconds();
        var sb = new StringBuilder("DKIM-Signature: v=1; a=").Append(DkimSignature.Name(key.Algorithm))
            .Append("; c=relaxed/relaxed; d=").Append(domain).Append("; s=").Append(selector).Append(";\r\n\tt=")
            .Append(t.ToString(CultureInfo.InvariantCulture));
        if (validity is { } v)
        {
            // x= stays within t= and 12 digits (RFC 6376 §3.5), whatever validity is asked for.
            long x = Math.Min(t + (long)Math.Clamp(v.TotalSeconds, 0, 999_999_999_999), 999_999_999_999);
            sb.Append("; x=").Append(Math.Max(x, t).ToString(CultureInfo.InvariantCulture));
        }
        sb.Append(";\r\n\th=").Append(Fold(string.Join(":", h), ':')).Append(";\r\n\tbh=").Append(bh).Append(";\r\n\tb=");
        string unsigned = sb.ToString();
        var sig = DkimSignature.Parse(unsigned[(unsigned.IndexOf(':') + 1)..] + "AA==", out _, out _)!;
        var field = new DkimHeaderField("DKIM-Signature", unsigned + "\r\n");
        var data = DkimVerifier.HeaderData(parsed, field, sig);
        string b = Convert.ToBase64String(key.Sign(data));
        return unsigned + Fold(b, null) + "\r\n";
    }

    // Folds long values into 72-column lines with CRLF TAB; FWS is allowed inside h= after a colon and anywhere in b= (RFC 6376 §3.5).
    private static string Fold(string value, char? after)
    {
        var sb = new StringBuilder();
        int col = 0;
        for (int i = 0; i < value.Length; i++)
        {
            sb.Append(value[i]);
            col++;
            bool breakable = after is null || value[i] == after;
            if (col >= 64 && breakable && i < value.Length - 1)
            {
                sb.Append("\r\n\t");
                col = 0;
            }
        }
        return sb.ToString();
    }
}
