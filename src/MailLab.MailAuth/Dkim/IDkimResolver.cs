using MailLab.MailAuth.Spf;

namespace MailLab.MailAuth.Dkim;

/// <summary>The DNS the DKIM verifier may use: TXT lookups of key records (RFC 6376 §3.6.2); it does no other I/O.</summary>
public interface IDkimResolver
{
    /// <summary>TXT records of <paramref name="name"/>; each string is one record's character-strings joined (RFC 6376 §3.6.2.2).</summary>
    Task<DnsAnswer<string>> LookupTxtAsync(string name, CancellationToken ct);
}
