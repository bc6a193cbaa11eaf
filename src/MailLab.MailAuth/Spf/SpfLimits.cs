namespace MailLab.MailAuth.Spf;

/// <summary>Processing limits of RFC 7208 §4.6.4, stated once.</summary>
public static class SpfLimits
{
    /// <summary>include, a, mx, ptr, exists and redirect together.</summary>
    public const int DnsTerms = 10;

    /// <summary>DNS queries of those terms that return no records.</summary>
    public const int VoidLookups = 2;

    /// <summary>MX names looked up per "mx" term (more is permerror).</summary>
    public const int MxNames = 10;

    /// <summary>PTR names validated per "ptr" term or %{p} (the rest are ignored).</summary>
    public const int PtrNames = 10;

    /// <summary>Longest domain name after macro expansion (RFC 7208 §7.3).</summary>
    public const int DomainLength = 253;
}
