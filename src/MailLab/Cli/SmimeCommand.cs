using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailLab.Server.Certificates;
using MailLab.Server.Lab;
using MailLab.Server.Smime;
using MimeKit;

namespace MailLab.Cli;

/// <summary>
/// <c>maillab smime issue | export | sign | encrypt | verify | revoke</c>: S/MIME by hand with the lab's user
/// CA in &lt;data&gt;/certs, whether or not the lab runs (a running lab reads the CRL again when it changes).
/// verify prints every step the MDA traces; its exit code is 0 for a valid signature, 3 for any other verdict.
/// </summary>
internal static class SmimeCommand
{
    /// <summary>The exit code of verify for a verdict other than valid.</summary>
    public const int NotValid = 3;

    public static Command Create()
    {
        var smime = new Command("smime", "S/MIME (RFC 8551) with the lab's user CA: issue, export, sign, encrypt, verify, revoke");
        smime.Subcommands.Add(Issue());
        smime.Subcommands.Add(Export());
        smime.Subcommands.Add(Sign());
        smime.Subcommands.Add(Encrypt());
        smime.Subcommands.Add(Verify());
        smime.Subcommands.Add(Revoke());
        return smime;
    }

    private static Argument<string> AddressArgument() => new("ADDRESS") { Description = "A lab user's mail address" };

    private static Option<FileInfo?> LabOption() => new("--lab") { Description = "Lab definition (default: the running lab's, else the embedded default lab)" };

    private static Option<FileInfo?> OutOption(string what) => new("--out") { Description = $"Write {what} to this file (default: standard output)" };

    /// <summary>The lab file, its data directory and the user CA (made when missing: issuing needs it).</summary>
    private static (LabDefinition Lab, UserCertificateAuthority Users)? Open(ParseResult parse, Option<DirectoryInfo?> data, Option<FileInfo?> lab)
    {
        string dir = CommonOptions.ResolveData(parse.GetValue(data));
        if (!LabCommand.TryLoad(CommonOptions.LabFile(parse.GetValue(lab), dir), out var def)) return null;
        try
        {
            var root = LabCertificateAuthority.LoadOrCreate(Path.Combine(dir, "certs"));
            return (def!, UserCertificateAuthority.LoadOrCreate(root, def!.Web.CrlUrl));
        }
        catch (Exception e) when (e is LabCertificateException or IOException or UnauthorizedAccessException or CryptographicException)
        {
            Console.Error.WriteLine($"maillab: {e.Message}");
            return null;
        }
    }

    private static UserDefinition? LabUser(LabDefinition lab, string address)
    {
        var user = lab.Sites.SelectMany(s => s.Users).FirstOrDefault(u => string.Equals(u.Address, address, StringComparison.OrdinalIgnoreCase));
        if (user is null) Console.Error.WriteLine($"maillab: {address} is not a user of lab '{lab.Name}' (add it to the lab file first)");
        return user;
    }

    private static Command Issue()
    {
        var address = AddressArgument();
        var renew = new Option<bool>("--renew") { Description = "Issue a new certificate and key even when a current one exists" };
        var data = CommonOptions.Data();
        var lab = LabOption();
        var cmd = new Command("issue", "Issue ADDRESS an S/MIME certificate from the lab's user CA (kept when it has a current one)");
        cmd.Arguments.Add(address);
        foreach (var o in new Option[] { renew, data, lab }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            if (Open(parse, data, lab) is not var (def, users)) return 1;
            if (LabUser(def, parse.GetValue(address)!) is not { } user) return 2;
            bool issued = true;
            using var c = parse.GetValue(renew) ? users.IssueNew(user.Address) : users.GetOrIssue(user.Address, out issued);
            var (crt, key) = users.PathsOf(user.Address);
            Console.WriteLine($"{(issued ? "issued" : "kept the current")} S/MIME certificate of {user.Address}");
            Console.WriteLine($"  subject {c.Subject}, serial {c.SerialNumber}");
            Console.WriteLine($"  issuer {c.Issuer} (under {users.Root.Certificate.Subject})");
            Console.WriteLine($"  valid {c.NotBefore.ToUniversalTime():yyyy-MM-dd} to {c.NotAfter.ToUniversalTime():yyyy-MM-dd}; CRL {users.CrlUrl}");
            Console.WriteLine($"  certificate {crt}, private key {key} (0600; leaves the data directory only by 'maillab smime export')");
            return 0;
        });
        return cmd;
    }

    private static Command Export()
    {
        var address = AddressArgument();
        var pem = new Option<bool>("--pem") { Description = "PEM for openssl (certificate, chain and UNENCRYPTED key) instead of PKCS#12" };
        var output = new Option<FileInfo?>("--out") { Description = "The file to write (default: ADDRESS.p12 or ADDRESS.pem here); made readable by you only" };
        var data = CommonOptions.Data();
        var lab = LabOption();
        var cmd = new Command("export", "Export ADDRESS's certificate and private key: PKCS#12 protected by the user's lab password (Thunderbird: Settings > Privacy & Security > Manage Certificates > Your Certificates > Import), or --pem");
        cmd.Arguments.Add(address);
        foreach (var o in new Option[] { pem, output, data, lab }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            if (Open(parse, data, lab) is not var (def, users)) return 1;
            if (LabUser(def, parse.GetValue(address)!) is not { } user) return 2;
            bool asPem = parse.GetValue(pem);
            byte[]? bytes = asPem ? users.ExportPem(user.Address) is { } text ? System.Text.Encoding.ASCII.GetBytes(text) : null
                : users.ExportPkcs12(user.Address, user.Password);
            if (bytes is null)
            {
                Console.Error.WriteLine($"maillab: {user.Address} has no S/MIME certificate; 'maillab smime issue {user.Address}' makes one");
                return 1;
            }
            string file = parse.GetValue(output)?.FullName ?? Path.GetFullPath(user.Address + (asPem ? ".pem" : ".p12"));
            WritePrivate(file, bytes);
            Console.WriteLine(asPem
                ? $"wrote {file}: certificate, user CA, root and the private key (not encrypted: keep it to yourself)"
                : $"wrote {file}: PKCS#12 with the certificate, user CA, root and private key; its password is {user.Address}'s lab password");
            return 0;
        });
        return cmd;
    }

    private static Command Sign()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A message file (RFC 5322, LF or CRLF) or plain text" };
        var signer = new Option<string>("--as") { Description = "The signer, a lab user with a certificate", Required = true };
        var output = OutOption("the signed message");
        var data = CommonOptions.Data();
        var lab = LabOption();
        var cmd = new Command("sign", "Sign a message as a lab user (multipart/signed, SHA-256, with the signer's certificate and the user CA)");
        cmd.Arguments.Add(file);
        foreach (var o in new Option[] { signer, output, data, lab }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            if (Open(parse, data, lab) is not var (_, users)) return 1;
            var who = parse.GetValue(signer)!;
            if (Read(parse.GetValue(file)!, who) is not { } message) return 1;
            return Compose(() => SmimeComposer.Sign(message, users, who), message, parse.GetValue(output));
        });
        return cmd;
    }

    private static Command Encrypt()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A message file (RFC 5322, LF or CRLF) or plain text" };
        var to = new Option<string[]>("--to") { Description = "A recipient, a lab user with a certificate (repeat for several)", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = OutOption("the encrypted message");
        var data = CommonOptions.Data();
        var lab = LabOption();
        var cmd = new Command("encrypt", "Encrypt a message for lab users (application/pkcs7-mime enveloped-data, AES-256-CBC, RSA key transport)");
        cmd.Arguments.Add(file);
        foreach (var o in new Option[] { to, output, data, lab }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            if (Open(parse, data, lab) is not var (_, users)) return 1;
            var recipients = parse.GetValue(to)!;
            if (Read(parse.GetValue(file)!, null) is not { } message) return 1;
            return Compose(() => SmimeComposer.Encrypt(message, users, recipients), message, parse.GetValue(output));
        });
        return cmd;
    }

    private static Command Verify()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "An S/MIME message file (LF or CRLF)" };
        var decrypt = new Option<bool>("--decrypt") { Description = "Open enveloped-data with the lab user's key from the data directory (as the recipient's client does)" };
        var data = CommonOptions.Data();
        var lab = LabOption();
        var cmd = new Command("verify", "Verify an S/MIME message and print every step (exit 0: valid signature; 3: any other verdict)");
        cmd.Arguments.Add(file);
        foreach (var o in new Option[] { decrypt, data, lab }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            if (Open(parse, data, lab) is not var (_, users)) return 1;
            byte[] bytes;
            try
            {
                bytes = SmimeVerifier.CanonicalLineEnds(File.ReadAllBytes(parse.GetValue(file)!.FullName));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"maillab: {e.Message}");
                return 1;
            }
            string? from = null;
            try
            {
                using var s = new MemoryStream(bytes);
                from = MimeMessage.Load(s).From.Mailboxes.FirstOrDefault()?.Address;
            }
            catch (FormatException)
            {
                // No readable header: the From step says so.
            }
            var verifier = new SmimeVerifier(users.Root.Directory, parse.GetValue(decrypt) ? a => SmimeComposer.PrivateKeyOf(users, a) : null);
            var result = verifier.Verify(bytes, from);
            Print(result, "");
            Console.WriteLine($"X-MailLab-SMIME: {result.Summary}");
            return result.Verdict == "valid" || result.Inner?.Verdict == "valid" && result.Verdict == "decrypted" ? 0 : NotValid;
        });
        return cmd;
    }

    private static void Print(SmimeResult r, string layer)
    {
        foreach (var s in r.Steps)
        {
            Console.WriteLine($"{layer}{s.Step,-13} [{(s.Ok switch { true => "ok", false => "FAIL", null => "--" }),-4}] {s.Detail}");
        }
        if (r.Inner is { } inner) Print(inner, layer + "  inner: ");
        Console.WriteLine($"{layer}=> {r.Structure}: {r.Verdict} - {r.Reason}");
    }

    private static Command Revoke()
    {
        var address = AddressArgument();
        var reason = new Option<string>("--reason") { Description = "RFC 5280 §5.3.1 reason", DefaultValueFactory = _ => "keyCompromise" };
        reason.AcceptOnlyFromAmong("unspecified", "keyCompromise", "affiliationChanged", "superseded", "cessationOfOperation");
        var data = CommonOptions.Data();
        var lab = LabOption();
        var cmd = new Command("revoke", "Revoke ADDRESS's current certificate: its serial goes on the user CA's CRL (a running lab sees it at the next message)");
        cmd.Arguments.Add(address);
        foreach (var o in new Option[] { reason, data, lab }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            if (Open(parse, data, lab) is not var (_, users)) return 1;
            var why = Enum.Parse<X509RevocationReason>(parse.GetValue(reason)!, ignoreCase: true);
            string who;
            try
            {
                who = UserCertificateAuthority.NormalizeAddress(parse.GetValue(address)!);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"maillab: {e.Message}");
                return 2;
            }
            if (!users.Revoke(who, why, out var entry))
            {
                Console.Error.WriteLine($"maillab: {who} has no S/MIME certificate to revoke");
                return 1;
            }
            Console.WriteLine($"revoked the certificate of {who} (serial {entry!.Serial}) on {entry.RevokedAt.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}, reason {entry.Reason}");
            Console.WriteLine($"  CRL written: {users.Revocations.CrlPath} (served at {users.CrlUrl}); 'maillab smime issue {who}' makes a new certificate");
            return 0;
        });
        return cmd;
    }

    /// <summary>The file as a message; text without a header becomes a text/plain message from <paramref name="from"/>.</summary>
    private static MimeMessage? Read(FileInfo file, string? from)
    {
        try
        {
            var bytes = SmimeVerifier.CanonicalLineEnds(File.ReadAllBytes(file.FullName));
            int colon = Array.IndexOf(bytes, (byte)':');
            int line = Array.IndexOf(bytes, (byte)'\r');
            bool hasHeader = colon > 0 && (line < 0 || colon < line) && bytes[..colon].All(b => b > 32 && b < 127);
            if (hasHeader)
            {
                using var s = new MemoryStream(bytes);
                return MimeMessage.Load(s);
            }
            var m = new MimeMessage();
            if (from is not null) m.From.Add(MailboxAddress.Parse(from));
            m.Body = new TextPart("plain") { Text = System.Text.Encoding.UTF8.GetString(bytes) };
            return m;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ParseException)
        {
            Console.Error.WriteLine($"maillab: cannot read {file.FullName}: {e.Message}");
            return null;
        }
    }

    private static int Compose(Action compose, MimeMessage message, FileInfo? output)
    {
        try
        {
            compose();
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException or IOException)
        {
            Console.Error.WriteLine($"maillab: {e.Message}");
            return 1;
        }
        using var buffer = new MemoryStream();
        message.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, buffer);
        if (output is null)
        {
            using var stdout = Console.OpenStandardOutput();
            buffer.WriteTo(stdout);
        }
        else
        {
            File.WriteAllBytes(output.FullName, buffer.ToArray());
        }
        return 0;
    }

    private static void WritePrivate(string file, byte[] bytes)
    {
        File.Delete(file); // a new file, so the mode below applies
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var s = new FileStream(file, options);
        s.Write(bytes);
    }
}
