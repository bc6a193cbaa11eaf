using MailLab.Server.Certificates;
using MailLab.Server.Lab;
using MailLab.Server.Trace;

namespace MailLab.Server.Smime;

/// <summary>The users' S/MIME PKI at lab start: the user CA, a certificate for every user who lacks one, a fresh CRL, the verifier.</summary>
internal static class UserPki
{
    /// <summary>
    /// Makes (with <paramref name="userKeys"/>) or loads the user CA and the certificates of <paramref name="addresses"/> (the users of the sites run
    /// here), writes the CRL with a new nextUpdate and returns the verifier the MTA and MSA stages use; null
    /// when there is no user CA (a test lab without user keys).
    /// </summary>
    public static SmimeVerifier? Prepare(LabDefinition lab, LabCertificateAuthority ca, Tracer tracer, bool userKeys, IEnumerable<string> addresses)
    {
        var trace = tracer.ForLab(LabOrigin.Host, "lab", TraceRole.HOST);
        if (ca.RootReissued)
        {
            trace.Emit(TraceKind.SmimeCertificate,
                $"lab root CA certificate re-issued with the same key and subject so it may sign the user CA (pathLenConstraint 1, RFC 5280 §4.2.1.9): import {ca.CertificatePath} again",
                ("Step", "root-reissued"), ("Subject", ca.Certificate.Subject), ("Serial", ca.Certificate.SerialNumber),
                ("Issuer", ca.Certificate.Issuer), ("NotAfter", Iso(ca.Certificate.NotAfter)), ("File", ca.CertificatePath));
        }
        bool exists = File.Exists(Path.Combine(ca.Directory, UserCertificateAuthority.CertificateFileName));
        if (!userKeys && !exists) return null;
        var users = UserCertificateAuthority.LoadOrCreate(ca, lab.Web.CrlUrl);
        users.Revocations.WriteCrl();
        if (!exists)
        {
            trace.Emit(TraceKind.SmimeCertificate, $"user CA made: {users.Certificate.Subject}, signed by the lab root",
                ("Step", "user-ca"), ("Subject", users.Certificate.Subject), ("Serial", users.Certificate.SerialNumber),
                ("Issuer", users.Certificate.Issuer), ("NotAfter", Iso(users.Certificate.NotAfter)),
                ("File", Path.Combine(ca.Directory, UserCertificateAuthority.CertificateFileName)));
        }
        if (userKeys)
        {
            foreach (var address in addresses)
            {
                using var certificate = users.GetOrIssue(address, out bool issued);
                if (!issued) continue;
                trace.Emit(TraceKind.SmimeCertificate,
                    $"S/MIME certificate issued to {address}: serial {certificate.SerialNumber}, valid to {Iso(certificate.NotAfter)}, CRL at {users.CrlUrl}",
                    ("Step", "issued"), ("Address", address), ("Subject", certificate.Subject), ("Serial", certificate.SerialNumber),
                    ("Issuer", certificate.Issuer), ("NotAfter", Iso(certificate.NotAfter)), ("File", users.PathsOf(address).Certificate));
            }
        }
        return new SmimeVerifier(ca.Directory, lab.Switches.MdaHoldsUserKeys ? address => SmimeComposer.PrivateKeyOf(users, address) : null);
    }

    private static string Iso(DateTime t) => t.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ");
}
