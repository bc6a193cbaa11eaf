using System.CommandLine;
using MailLab.Server.Certificates;

namespace MailLab.Cli;

/// <summary><c>maillab certs</c>: where the lab CA is and how to trust it.</summary>
internal static class CertsCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var lab = new Option<FileInfo?>("--lab") { Description = "Lab definition (default: the embedded default lab)" };
        var cmd = new Command("certs", "Show the lab certificate authority and how to trust it (openssl, swaks, Thunderbird)");
        cmd.Options.Add(data);
        cmd.Options.Add(lab);
        cmd.SetAction(parse =>
        {
            if (!LabCommand.TryLoad(parse.GetValue(lab)?.FullName, out var def)) return 2;
            var dir = Path.Combine(CommonOptions.ResolveData(parse.GetValue(data)), "certs");
            var ca = LabCertificateAuthority.LoadOrCreate(dir);
            Console.WriteLine($"Lab CA certificate: {ca.CertificatePath}");
            Console.WriteLine($"  subject {ca.Certificate.Subject}, SHA-256 {ca.Certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)}");
            Console.WriteLine($"  valid {ca.Certificate.NotBefore:yyyy-MM-dd} to {ca.Certificate.NotAfter:yyyy-MM-dd}");
            Console.WriteLine();
            Console.WriteLine("Trust it with openssl (STARTTLS on a site's MSA):");
            foreach (var s in def!.Sites)
            {
                Console.WriteLine($"  openssl s_client -starttls smtp -connect {s.Address}:{s.Ports.Submission} -CAfile {ca.CertificatePath} -verify_return_error");
            }
            Console.WriteLine("With swaks:");
            Console.WriteLine($"  swaks --tls --tls-verify --tls-ca-path {ca.CertificatePath} ...");
            Console.WriteLine("In Thunderbird: Settings > Privacy & Security > Certificates > Manage Certificates >");
            Console.WriteLine($"  Authorities > Import... > {ca.CertificatePath}, tick \"Trust this CA to identify websites\" (used for mail too).");
            Console.WriteLine("See certs/README.md for the lab PKI.");
            return 0;
        });
        return cmd;
    }
}
