using MailLab.Server.Dns;
using MailLab.Server.Lab;
using MailLab.Server.Trace;

namespace MailLab.Server;

public sealed partial class LabRuntime
{
    /// <summary>
    /// The DNSSEC validation of a site's mail resolver when the <c>dnssec-validate</c> switch is on, else null
    /// (no DO bit, nothing validated). The trust anchor is the lab's, <c>&lt;data&gt;/dnssec/test.ds</c> (the
    /// DS of the signed root <c>test.</c> as the signer writes it), read again on each validation, so a fresh
    /// anchor (new keys) is used at once; the walk is traced as the site's resolver's, origin resolver.
    /// </summary>
    private static ResolverValidation? MailResolverValidation(LabDefinition lab, string dataDirectory, Tracer tracer, string site)
    {
        if (!lab.Switches.DnssecValidate) return null;
        string anchor = Path.Combine(dataDirectory, "dnssec", "test.ds");
        return new ResolverValidation(() => LabResolver.ReadAnchorFile(anchor), tracer.ForLab(LabOrigin.Resolver, site, TraceRole.MTA));
    }
}
