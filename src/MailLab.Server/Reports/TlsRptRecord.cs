namespace MailLab.Server.Reports;

/// <summary>
/// A TLS-RPT policy (RFC 8460 §3): the <c>_smtp._tls.DOMAIN</c> TXT record <c>v=TLSRPTv1; rua=URI[,URI]</c>.
/// Sans-IO: the TXT strings come in, the parsed record (or why there is none) comes out.
/// </summary>
/// <param name="Rua">The reporting URIs in record order (<c>mailto:</c> or <c>https:</c>).</param>
internal sealed record TlsRptRecord(IReadOnlyList<string> Rua)
{
    /// <summary>The owner name of the domain's record.</summary>
    public static string Owner(string domain) => "_smtp._tls." + domain.TrimEnd('.');

    /// <summary>
    /// The domain's record from all TXT strings at <see cref="Owner"/>, or null with <paramref name="problem"/>:
    /// RFC 8460 §3: records not starting with <c>v=TLSRPTv1</c> are discarded, and unless exactly one is left the
    /// domain does not take reports.
    /// </summary>
    public static TlsRptRecord? Find(IEnumerable<string> txt, out string? problem)
    {
        var candidates = txt.Where(t => t.TrimStart().StartsWith("v=TLSRPTv1", StringComparison.Ordinal)).ToList();
        if (candidates.Count != 1)
        {
            problem = candidates.Count == 0 ? "no v=TLSRPTv1 record" : $"{candidates.Count} v=TLSRPTv1 records (exactly one is needed)";
            return null;
        }
        return Parse(candidates[0], out problem);
    }

    /// <summary>One record's text; null with <paramref name="problem"/> when it has no valid rua.</summary>
    public static TlsRptRecord? Parse(string text, out string? problem)
    {
        problem = null;
        var fields = text.Split(';').Select(f => f.Trim()).Where(f => f.Length > 0).ToList();
        if (fields.Count == 0 || fields[0] != "v=TLSRPTv1")
        {
            problem = "the record does not start with v=TLSRPTv1";
            return null;
        }
        // RFC 8460 §3: ruaval = tlsrpt-uri *("," tlsrpt-uri); unknown fields are ignored (tlsrpt-extension).
        var rua = fields.Skip(1).FirstOrDefault(f => f.StartsWith("rua=", StringComparison.OrdinalIgnoreCase));
        if (rua is null)
        {
            problem = "the record has no rua=";
            return null;
        }
        var uris = rua[4..].Split(',').Select(u => u.Trim()).Where(u => u.Length > 0).ToList();
        if (uris.Count == 0 || uris.Any(u => !u.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) && !u.StartsWith("https:", StringComparison.OrdinalIgnoreCase)))
        {
            problem = $"rua= must list mailto: or https: URIs, not '{rua[4..]}'";
            return null;
        }
        return new TlsRptRecord(uris);
    }

    /// <summary>The address of a <c>mailto:</c> URI (RFC 6068: percent-decoded, without a query), or null for another scheme.</summary>
    public static string? MailtoAddress(string uri)
    {
        if (!uri.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase)) return null;
        var address = uri[7..];
        int q = address.IndexOf('?');
        if (q >= 0) address = address[..q];
        address = Uri.UnescapeDataString(address);
        return address.Contains('@') ? address : null;
    }
}
