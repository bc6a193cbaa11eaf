using MailLab.Server.Dns;
using MailLab.Server.Lab;
using MailLab.Server.Trace;

namespace MailLab.Server;

public sealed partial class LabRuntime
{
    /// <summary>The lab DNS's zone signer: keys and state in <c>&lt;data&gt;/dnssec</c>, as the lab file's <c>dns.dnssec</c> says.</summary>
    private static ZoneSigner Signer(LabDefinition lab, string dataDirectory, Tracer tracer) =>
        new(DnssecDirectory(dataDirectory), lab.Dns.Dnssec.Algorithm, lab.Dns.Dnssec.Unsigned, lab.Dns.Address, tracer);

    /// <summary><c>&lt;data&gt;/dnssec</c>: zone keys (0600), the break state, the trust anchors and the signed copies.</summary>
    public static string DnssecDirectory(string dataDirectory) => DnssecFiles.Directory(dataDirectory);
}
