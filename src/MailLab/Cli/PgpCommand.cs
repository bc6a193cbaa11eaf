using System.CommandLine;
using System.Text;
using MailLab.Server.Lab;
using MailLab.Server.Dns;
using MailLab.Server.OpenPgp;

namespace MailLab.Cli;

/// <summary>
/// <c>maillab pgp keygen | export | sign-key | trust | sign | encrypt | verify</c>: OpenPGP by hand with the lab
/// users' keys (<c>&lt;data&gt;/pgp</c>), every verification step printed as the MDA traces it. A user's lab
/// password unlocks their secret key (the lab file has it).
/// </summary>
internal static class PgpCommand
{
    public static Command Create()
    {
        var pgp = new Command("pgp", "OpenPGP (RFC 4880, PGP/MIME RFC 3156) by hand: keys, key certifications, the web of trust, sign, encrypt, verify");
        pgp.Subcommands.Add(Keygen());
        pgp.Subcommands.Add(Export());
        pgp.Subcommands.Add(SignKey());
        pgp.Subcommands.Add(Trust());
        pgp.Subcommands.Add(Sign());
        pgp.Subcommands.Add(Encrypt());
        pgp.Subcommands.Add(Verify());
        return pgp;
    }

    private static Option<FileInfo?> LabOption() => new("--lab") { Description = "Lab definition with the users' passwords (default: the running lab's, else the embedded default lab)" };

    private static Argument<string> AddressArgument(string name, string what) => new(name) { Description = what };

    // The lab user (for their password); null after a one-line error.
    private static UserDefinition? User(string address, FileInfo? labFile, string data)
    {
        if (!LabCommand.TryLoad(CommonOptions.LabFile(labFile, data), out var lab)) return null;
        var user = lab!.Sites.SelectMany(s => s.Users).FirstOrDefault(u => u.Address.Equals(address.Trim(), StringComparison.OrdinalIgnoreCase));
        if (user is null) Console.Error.WriteLine($"maillab: {address} is not a user of lab '{lab.Name}' (add it to the lab file first)");
        return user;
    }

    private static Command Keygen()
    {
        var address = AddressArgument("ADDRESS", "The lab user (in the lab file) who gets a new key");
        var data = CommonOptions.Data();
        var lab = LabOption();
        var cmd = new Command("keygen", "Make an OpenPGP key (Ed25519 + Cv25519) for a lab user added after the first start, protected by their lab password");
        cmd.Arguments.Add(address);
        cmd.Options.Add(data);
        cmd.Options.Add(lab);
        cmd.SetAction(parse =>
        {
            var dir = CommonOptions.ResolveData(parse.GetValue(data));
            if (User(parse.GetValue(address)!, parse.GetValue(lab), dir) is not { } user) return 2;
            var store = new PgpKeyStore(dir);
            if (File.Exists(store.PublicFile(user.Address)))
            {
                Console.Error.WriteLine($"maillab: {user.Address} has a key ({store.PublicFile(user.Address)}); remove it first to make a new one");
                return 1;
            }
            var key = store.Generate(user.Address, user.Password).GetPublicKey();
            Console.WriteLine($"made key 0x{PgpText.KeyId(key.KeyId)} (fingerprint {PgpText.Fingerprint(key)}) \"{PgpKeyStore.UserId(user.Address)}\"");
            Console.WriteLine($"  public: {store.PublicFile(user.Address)}");
            Console.WriteLine($"  secret: {store.SecretFile(user.Address)} (0600, protected by the lab password)");
            Publish(dir, user.Address, store);
            return 0;
        });
        return cmd;
    }

    // A key made later reaches the same places a first start puts the others: OPENPGPKEY in the zone (a running
    // lab reloads it) and the running lab's key server (a stopped one is seeded from <data>/pgp/public at start).
    private static void Publish(string dir, string address, PgpKeyStore store)
    {
        foreach (var p in OpenPgpKeyRecords.PublishUserKeys(dir).Where(p => p.Address.Equals(address, StringComparison.OrdinalIgnoreCase)))
        {
            Console.WriteLine($"  OPENPGPKEY (RFC 7929): {p.OwnerName} appended to {p.ZoneFile}");
        }
        var web = CertsCommand.BoundListeners(dir).FirstOrDefault(l => l.Role == "WEB");
        if (web is null)
        {
            Console.WriteLine("  key server: the lab is not running; it takes the key from the public key file at its next start");
            return;
        }
        string url = $"http://{(web.Address.Contains(':') ? $"[{web.Address}]" : web.Address)}:{web.Port}/pks/add";
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using var reply = http.PostAsync(url, new FormUrlEncodedContent([new("keytext", File.ReadAllText(store.PublicFile(address)))])).GetAwaiter().GetResult();
            Console.WriteLine($"  key server: POST {url} -> {(int)reply.StatusCode} {reply.ReasonPhrase}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Console.WriteLine($"  key server: POST {url} failed ({ex.Message}); the lab takes the key from the public key file at its next start");
        }
    }

    private static Command Export()
    {
        var address = AddressArgument("ADDRESS", "The lab user whose key to export");
        var secret = new Option<bool>("--secret") { Description = "Export the secret key (protected by the user's lab password), for gpg --import or Thunderbird" };
        var output = new Option<FileInfo?>("--out") { Description = "Write to this file instead of standard output" };
        var data = CommonOptions.Data();
        var cmd = new Command("export", "Print a user's ASCII-armored public key (or with --secret the secret key) for gpg --import and Thunderbird");
        cmd.Arguments.Add(address);
        foreach (var o in new Option[] { secret, output, data }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            if (CommonOptions.Existing(parse.GetValue(data)) is not { } dir) return 1;
            var store = new PgpKeyStore(dir);
            var who = parse.GetValue(address)!;
            var file = parse.GetValue(secret) ? store.SecretFile(who) : store.PublicFile(who);
            if (!File.Exists(file))
            {
                Console.Error.WriteLine($"maillab: no key for {who} in {file}; 'maillab pgp keygen {who}' makes one");
                return 1;
            }
            var text = File.ReadAllText(file);
            if (parse.GetValue(output) is { } target)
            {
                var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
                if (parse.GetValue(secret) && !OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                using var stream = new FileStream(target.FullName, options);
                stream.Write(Encoding.ASCII.GetBytes(text));
                Console.Error.WriteLine($"wrote {target.FullName}");
            }
            else
            {
                Console.Write(text);
            }
            return 0;
        });
        return cmd;
    }

    private static Command SignKey()
    {
        var signer = AddressArgument("SIGNER", "The lab user who certifies (their key signs)");
        var target = AddressArgument("TARGET", "The lab user whose key is certified");
        var data = CommonOptions.Data();
        var lab = LabOption();
        var cmd = new Command("sign-key", "Certify TARGET's key with SIGNER's (a generic certification 0x10, like gpg --sign-key), written into TARGET's public key file");
        cmd.Arguments.Add(signer);
        cmd.Arguments.Add(target);
        cmd.Options.Add(data);
        cmd.Options.Add(lab);
        cmd.SetAction(parse =>
        {
            if (CommonOptions.Existing(parse.GetValue(data)) is not { } dir) return 1;
            if (User(parse.GetValue(signer)!, parse.GetValue(lab), dir) is not { } user) return 2;
            var store = new PgpKeyStore(dir);
            try
            {
                var ring = store.Certify(user.Address, user.Password, parse.GetValue(target)!);
                Console.WriteLine($"{user.Address} certified {WebOfTrust.Describe(ring.GetPublicKey())}; written to {store.PublicFile(parse.GetValue(target)!)}");
                return 0;
            }
            catch (PgpStoreException ex)
            {
                Console.Error.WriteLine($"maillab: {ex.Message}");
                return 1;
            }
        });
        return cmd;
    }

    private static Command Trust()
    {
        var target = AddressArgument("TARGET", "The lab user whose key's validity to compute (or, with --key, the address to check in that key)");
        var viewer = new Option<string>("--as") { Description = "Whose web of trust: their own key is ultimately trusted, their ownertrust file <data>/pgp/ownertrust/VIEWER.txt applies", Required = true };
        var introducer = new Option<string[]>("--introducer") { Description = "ADDR=full|marginal|none: trust ADDR's key as introducer for this computation (on top of the ownertrust file)", AllowMultipleArgumentsPerToken = false };
        var key = new Option<FileInfo?>("--key") { Description = "Compute the validity of the key in this file (e.g. one fetched from the key server) instead of TARGET's lab key" };
        var data = CommonOptions.Data();
        var cmd = new Command("trust", "Compute a key's validity in a user's web of trust (1 full or 3 marginal certifications, depth 5) and print the paths and every step");
        cmd.Arguments.Add(target);
        foreach (var o in new Option[] { viewer, introducer, key, data }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            if (CommonOptions.Existing(parse.GetValue(data)) is not { } dir) return 1;
            var keyring = new PgpKeyStore(dir).Keyring();
            var who = parse.GetValue(target)!;
            var extra = new Dictionary<string, OwnerTrust>();
            foreach (var i in parse.GetValue(introducer) ?? [])
            {
                var eq = i.IndexOf('=');
                if (eq <= 0 || !Enum.TryParse<OwnerTrust>(i[(eq + 1)..], true, out var level) || level == OwnerTrust.Ultimate)
                {
                    Console.Error.WriteLine($"maillab: --introducer {i}: expected ADDR=full|marginal|none");
                    return 2;
                }
                extra[i[..eq]] = level;
            }
            Org.BouncyCastle.Bcpg.OpenPgp.PgpPublicKey? subject;
            try
            {
                subject = parse.GetValue(key) is { } file ? PgpKeyStore.ReadPublicRings(File.ReadAllBytes(file.FullName)).FirstOrDefault()?.GetPublicKey() : keyring.Of(who)?.GetPublicKey();
            }
            catch (Exception ex) when (ex is IOException or Org.BouncyCastle.Bcpg.OpenPgp.PgpException)
            {
                Console.Error.WriteLine($"maillab: not a readable OpenPGP key: {ex.Message}");
                return 1;
            }
            if (subject is null)
            {
                Console.Error.WriteLine($"maillab: no key for {who}");
                return 1;
            }
            var result = keyring.Validity(parse.GetValue(viewer)!, subject, who.Contains('@') ? who : null, extra);
            if (result is null)
            {
                Console.Error.WriteLine($"maillab: {parse.GetValue(viewer)} has no OpenPGP key, so no web of trust");
                return 1;
            }
            foreach (var p in keyring.Problems) Console.WriteLine("warning: " + p);
            foreach (var s in result.Steps) Console.WriteLine(s);
            Console.WriteLine($"paths: {(result.Paths.Count == 0 ? "none" : string.Join("; ", result.Paths))}");
            Console.WriteLine($"validity: {result.Keyword}");
            return result.Validity >= PgpValidity.Full ? 0 : 1;
        });
        return cmd;
    }

    private static Command Sign()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The message file (LF or CRLF); with --detach any file" };
        var signer = new Option<string>("--as") { Description = "The lab user who signs", Required = true };
        var detach = new Option<bool>("--detach") { Description = "Print only an armored detached signature of FILE's octets (gpg --verify SIG FILE checks it)" };
        var data = CommonOptions.Data();
        var lab = LabOption();
        var cmd = new Command("sign", "Sign a message as PGP/MIME (multipart/signed, RFC 3156 §5) with a lab user's key and print it");
        cmd.Arguments.Add(file);
        foreach (var o in new Option[] { signer, detach, data, lab }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            if (CommonOptions.Existing(parse.GetValue(data)) is not { } dir) return 1;
            if (User(parse.GetValue(signer)!, parse.GetValue(lab), dir) is not { } user) return 2;
            if (Read(parse.GetValue(file)!, raw: parse.GetValue(detach)) is not { } content) return 1;
            if (new PgpKeyStore(dir).LoadSecret(user.Address) is not { } secret)
            {
                Console.Error.WriteLine($"maillab: no secret key for {user.Address}; 'maillab pgp keygen {user.Address}' makes one");
                return 1;
            }
            try
            {
                using var stdout = Console.OpenStandardOutput();
                stdout.Write(parse.GetValue(detach) ? Encoding.ASCII.GetBytes(PgpMessages.DetachedSignature(content, secret, user.Password)) : PgpMessages.SignMime(content, secret, user.Password));
                return 0;
            }
            catch (PgpStoreException ex)
            {
                Console.Error.WriteLine($"maillab: {ex.Message}");
                return 1;
            }
        });
        return cmd;
    }

    private static Command Encrypt()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The message file (LF or CRLF)" };
        var to = new Option<string[]>("--to") { Description = "A lab user to encrypt to (repeat for several)", Required = true };
        var data = CommonOptions.Data();
        var cmd = new Command("encrypt", "Encrypt a message as PGP/MIME (multipart/encrypted, RFC 3156 §4) to lab users' keys (AES-256) and print it");
        cmd.Arguments.Add(file);
        cmd.Options.Add(to);
        cmd.Options.Add(data);
        cmd.SetAction(parse =>
        {
            if (CommonOptions.Existing(parse.GetValue(data)) is not { } dir) return 1;
            if (Read(parse.GetValue(file)!) is not { } content) return 1;
            var store = new PgpKeyStore(dir);
            var rings = new List<Org.BouncyCastle.Bcpg.OpenPgp.PgpPublicKeyRing>();
            foreach (var a in parse.GetValue(to)!)
            {
                if (store.LoadPublic(a) is not { } ring)
                {
                    Console.Error.WriteLine($"maillab: no OpenPGP key for {a} in {store.PublicFile(a)}");
                    return 1;
                }
                rings.Add(ring);
            }
            using var stdout = Console.OpenStandardOutput();
            stdout.Write(PgpMessages.EncryptMime(content, rings));
            return 0;
        });
        return cmd;
    }

    private static Command Verify()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The message file (LF or CRLF), or with --signature the signed file" };
        var viewer = new Option<string?>("--as") { Description = "Compute the signer key's validity in this lab user's web of trust (the recipient's, as at delivery)" };
        var signature = new Option<FileInfo?>("--signature") { Description = "A detached signature of FILE's octets (as gpg --detach-sign makes)" };
        var keyServer = new Option<string?>("--keyserver") { Description = "The key server to ask after the lab keyring, http://ADDR:PORT (default: the lab file's web: address and port)" };
        var data = CommonOptions.Data();
        var lab = LabOption();
        var cmd = new Command("verify", "Verify an OpenPGP signed message (PGP/MIME or inline) or a detached signature, printing every step; exit 0 when the signature is valid");
        cmd.Arguments.Add(file);
        foreach (var o in new Option[] { viewer, signature, keyServer, data, lab }) cmd.Options.Add(o);
        cmd.SetAction(async (parse, ct) =>
        {
            if (CommonOptions.Existing(parse.GetValue(data)) is not { } dir) return 1;
            // A detached signature covers the file's octets as they are; a message is read as CRLF.
            if (Read(parse.GetValue(file)!, raw: parse.GetValue(signature) is not null) is not { } content) return 1;
            Uri? server = null;
            if (parse.GetValue(keyServer) is { } given)
            {
                if (!Uri.TryCreate(given, UriKind.Absolute, out server) || server.Scheme is not ("http" or "hkp"))
                {
                    Console.Error.WriteLine($"maillab: --keyserver {given}: expected http://ADDR:PORT");
                    return 2;
                }
                if (server.Scheme == "hkp") server = new Uri($"http://{server.Host}:{(server.IsDefaultPort ? 11371 : server.Port)}/");
            }
            else if (LabCommand.TryLoad(CommonOptions.LabFile(parse.GetValue(lab), dir), out var def) && def!.Web.Port != 0)
            {
                server = new Uri($"http://{def.Web.Address}:{def.Web.Port}/");
            }
            var lookup = new PgpKeyLookup(new PgpKeyStore(dir), () => server, null);
            var recipients = parse.GetValue(viewer) is { } v ? new[] { new PgpRecipient(v, null) } : [];
            PgpVerification result;
            if (parse.GetValue(signature) is { } sigFile)
            {
                if (Read(sigFile, raw: true) is not { } sig) return 1;
                result = await PgpVerifier.VerifyDetachedAsync(content, sig, recipients, lookup, ct);
            }
            else
            {
                var kind = PgpDetect.Kind(content);
                if (kind == PgpMessageKind.None)
                {
                    Console.WriteLine("no OpenPGP signature or encryption in this message (Content-Type and text body checked)");
                    return 1;
                }
                result = await PgpVerifier.VerifyAsync(content, kind, recipients, lookup, ct);
            }
            foreach (var s in result.Steps) Console.WriteLine(s);
            Console.WriteLine($"X-MailLab-OpenPGP: {result.Summary}");
            return result.Result is "valid" ? 0 : 1;
        });
        return cmd;
    }

    // A message file as CRLF octets (editors write LF); null after a one-line error.
    private static byte[]? Read(FileInfo file, bool raw = false)
    {
        try
        {
            var bytes = File.ReadAllBytes(file.FullName);
            if (raw) return bytes;
            var text = Encoding.Latin1.GetString(bytes);
            return text.Contains("\r\n", StringComparison.Ordinal) || !text.Contains('\n') ? bytes : Encoding.Latin1.GetBytes(text.Replace("\n", "\r\n"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"maillab: cannot read {file.FullName}: {ex.Message}");
            return null;
        }
    }
}
