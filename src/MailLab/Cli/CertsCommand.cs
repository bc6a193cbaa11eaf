using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailLab.Server.Certificates;

namespace MailLab.Cli;

/// <summary>
/// <c>maillab certs</c>: where the lab CA is and how to trust it. It only reads: a second CA would
/// make every certificate the lab already handed out untrusted. <c>maillab certs create</c> makes the
/// CA (as the first <c>up</c> does) when there is none, for labs spread over several hosts.
/// </summary>
internal static class CertsCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var lab = new Option<FileInfo?>("--lab") { Description = "Lab definition (default: the running lab's, else the embedded default lab)" };
        var cmd = new Command("certs", "Show the lab certificate authority and how to trust it (openssl, swaks, Thunderbird); only reads");
        cmd.Options.Add(data);
        cmd.Options.Add(lab);
        cmd.SetAction(parse =>
        {
            if (CommonOptions.Existing(parse.GetValue(data)) is not { } dir) return 1;
            var caFile = Path.Combine(dir, "certs", LabCertificateAuthority.CertificateFileName);
            if (!File.Exists(caFile))
            {
                Console.Error.WriteLine($"maillab: no lab CA in {Path.GetDirectoryName(caFile)}; 'maillab up' makes one on its first start, or 'maillab certs create --data {dir}'");
                return 1;
            }
            if (!LabCommand.TryLoad(CommonOptions.LabFile(parse.GetValue(lab), dir), out var def)) return 2;
            X509Certificate2 ca;
            try
            {
                ca = X509Certificate2.CreateFromPem(File.ReadAllText(caFile));
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"maillab: {caFile} is not a readable certificate: {ex.Message}");
                return 1;
            }
            using (ca) Print(caFile, ca, def!, BoundListeners(dir));
            return 0;
        });

        var createData = CommonOptions.Data();
        var create = new Command("create", "Make the lab CA in <data>/certs if there is none (an existing one is kept), then show it");
        var createLab = new Option<FileInfo?>("--lab") { Description = "Lab definition, for the lines printed (default: the embedded default lab)" };
        create.Options.Add(createData);
        create.Options.Add(createLab);
        create.SetAction(parse =>
        {
            if (!LabCommand.TryLoad(parse.GetValue(createLab)?.FullName, out var def)) return 2;
            var dir = Path.Combine(CommonOptions.ResolveData(parse.GetValue(createData)), "certs");
            LabCertificateAuthority ca;
            try
            {
                bool existed = File.Exists(Path.Combine(dir, LabCertificateAuthority.CertificateFileName));
                ca = LabCertificateAuthority.LoadOrCreate(dir);
                Console.WriteLine(existed ? $"kept the existing lab CA in {dir}" : $"made a new lab CA in {dir}");
            }
            catch (Exception ex) when (ex is LabCertificateException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"maillab: {ex.Message}");
                return 1;
            }
            Print(ca.CertificatePath, ca.Certificate, def!, []);
            return 0;
        });
        cmd.Subcommands.Add(create);
        return cmd;
    }

    /// <summary>The running lab's bound listeners (listeners.json); empty when it does not run or the file is unreadable.</summary>
    internal static IReadOnlyList<MailLab.Server.Listeners.ListenerInfo> BoundListeners(string dir)
    {
        try
        {
            return MailLab.Server.Exercises.Demos.DemoContext.ReadListeners(dir);
        }
        catch (MailLab.Server.Exercises.Demos.DemoException)
        {
            return [];
        }
    }

    // bound: the running lab's listeners; their ports win over the lab file's (a port 0 there means "any free port").
    private static void Print(string caFile, X509Certificate2 ca, MailLab.Server.Lab.LabDefinition def, IReadOnlyList<MailLab.Server.Listeners.ListenerInfo> bound)
    {
        Console.WriteLine($"Lab CA certificate: {caFile}");
        Console.WriteLine($"  subject {ca.Subject}, SHA-256 {ca.GetCertHashString(HashAlgorithmName.SHA256)}");
        Console.WriteLine($"  valid {ca.NotBefore:yyyy-MM-dd} to {ca.NotAfter:yyyy-MM-dd}");
        Console.WriteLine();
        Console.WriteLine("Trust it with openssl (STARTTLS on a site's MSA; -crlf sends the CRLF line ends SMTP needs):");
        foreach (var s in def.Sites)
        {
            var msa = bound.FirstOrDefault(l => l.Site == s.Name && l.Role == "MSA" && l.Tls == "starttls");
            string endPoint = msa is null ? $"{s.Address}:{s.Ports.Submission}" : $"{msa.Address}:{msa.Port}";
            Console.WriteLine($"  openssl s_client -starttls smtp -connect {endPoint} -CAfile {caFile} -verify_hostname {s.PrimaryHostName} -verify_return_error -crlf -nocommands");
        }
        Console.WriteLine("With swaks:");
        Console.WriteLine($"  swaks --tls --tls-verify --tls-ca-path {caFile} ...");
        Console.WriteLine("In Thunderbird: Settings > Privacy & Security > Certificates > Manage Certificates >");
        Console.WriteLine($"  Authorities > Import... > {caFile}, tick \"Trust this CA to identify websites\" (used for mail too).");
        Console.WriteLine("See certs/README.md for the lab PKI.");
    }
}
