using System.Text;
using MailLab.Server.OpenPgp;
using MailLab.Server.Trace;
using MailLab.Tests.Relay;
using MailLab.Tests.Support;

namespace MailLab.Tests.OpenPgp;

/// <summary>
/// OpenPGP at delivery over real SMTP into the test lab with the users' keys: PGP/MIME signatures verified,
/// the signer's key looked up (lab keyring, then the key server), its validity in the recipient's web of trust,
/// the attacks (tampering, mallory's key with bob's user ID, a From that is not the signer), encrypted mail
/// recognised, and bad input that is still delivered.
/// </summary>
public sealed class PgpDeliveryTests
{
    private static TraceEvent Result(TestLab lab) => Assert.Single(lab.Events(TraceKind.OpenPgpResult));

    [Fact]
    public async Task Bobs_signed_mail_to_alice_is_a_valid_signature_with_full_validity_through_carol()
    {
        await using var lab = PgpLab.Start();
        var keys = PgpLab.Keys(lab);
        var signed = PgpMessages.SignMime(PgpLab.Plain("bob <bob@bank.test>", "alice@uc.test"), keys.LoadSecret("bob@bank.test")!, "lab-bob");
        Assert.StartsWith("250", await PgpLab.SendToUc(lab, signed));
        var delivered = await RelayTestHelpers.OnlyMessage(lab, "alice@uc.test");

        var verdict = PgpLab.Verdict(delivered);
        Assert.StartsWith("signed (PGP/MIME): valid; key 0x", verdict);
        Assert.Contains("\"bob <bob@bank.test>\" from the lab keyring; key validity alice@uc.test: full; signer matches From", verdict);
        var r = Result(lab);
        Assert.Equal("valid", r.Fields["Result"]);
        Assert.Equal("local", r.Fields["KeySource"]);
        Assert.Equal("SHA-256", r.Fields["Hash"]);
        Assert.Equal(true, r.Fields["FromMatches"]);
        Assert.Equal(TraceRole.MDA.ToString(), r.Role.ToString());
        var steps = lab.Events(TraceKind.OpenPgpStep).Select(e => (string)e.Fields["Detail"]!).ToList();
        Assert.Contains(steps, s => s.StartsWith("key lookup 1. local keyring", StringComparison.Ordinal) && s.Contains("found in bob@bank.test.asc"));
        Assert.Contains(steps, s => s.Contains("web of trust of alice@uc.test: result: bob <bob@bank.test>") && s.Contains("path alice@uc.test -> carol@uc.test -> bob@bank.test"));
        // The message itself is delivered as signed: the signature still verifies on what alice's client reads.
        var again = await PgpVerifier.VerifyAsync(Encoding.UTF8.GetBytes(delivered), PgpMessageKind.MimeSigned, [], new PgpKeyLookup(keys, () => null, null), default);
        Assert.Equal("valid", again.Result);
    }

    [Fact]
    public async Task A_body_changed_after_signing_is_an_invalid_signature_and_still_delivered()
    {
        await using var lab = PgpLab.Start();
        var signed = Encoding.UTF8.GetString(PgpMessages.SignMime(PgpLab.Plain("bob@bank.test", "alice@uc.test"), PgpLab.Keys(lab).LoadSecret("bob@bank.test")!, "lab-bob"));
        Assert.StartsWith("250", await PgpLab.SendToUc(lab, Encoding.UTF8.GetBytes(signed.Replace("100 EUR", "900 EUR"))));
        var verdict = PgpLab.Verdict(await RelayTestHelpers.OnlyMessage(lab, "alice@uc.test"));
        Assert.StartsWith("signed (PGP/MIME): invalid;", verdict);
        Assert.Contains("the signature does not match the content (changed after signing?)", verdict);
    }

    [Fact]
    public async Task Mallorys_key_with_bobs_user_id_from_the_key_server_is_a_valid_signature_of_unknown_validity()
    {
        await using var keyServer = new FakeKeyServer();
        await using var lab = PgpLab.Start();
        lab.Runtime!.OpenPgp.KeyServer = keyServer.BaseUri;
        // mallory makes a key for bob's address and uploads it: the key server accepts anything.
        var fake = PgpKeyStore.NewKey("bob <bob@bank.test>", "mallory");
        keyServer.Upload(PgpKeyStore.Armor(fake.Public));
        var signed = PgpMessages.SignMime(PgpLab.Plain("bob <bob@bank.test>", "alice@uc.test", "Bob here: my account changed, pay to 666.\r\n"), fake.Secret, "mallory");
        Assert.StartsWith("250", await PgpLab.SendToUc(lab, signed, mailFrom: "mallory@evil.test", from: "127.0.3.1"));

        var verdict = PgpLab.Verdict(await RelayTestHelpers.OnlyMessage(lab, "alice@uc.test"));
        Assert.Contains("signed (PGP/MIME): valid;", verdict);
        Assert.Contains("from the key server; key validity alice@uc.test: unknown; signer matches From", verdict);
        var r = Result(lab);
        Assert.Equal("keyserver", r.Fields["KeySource"]);
        Assert.Equal(new[] { "alice@uc.test: unknown" }, (IEnumerable<string>)r.Fields["Validity"]!);
        Assert.Contains(keyServer.Requests, q => q.StartsWith($"GET /pks/lookup?op=get&options=mr&search=0x{PgpText.Fingerprint(fake.Public.GetPublicKey())}", StringComparison.Ordinal));
        var steps = (IEnumerable<string>)r.Fields["Steps"]!;
        Assert.Contains(steps, s => s.StartsWith("key lookup 1. local keyring", StringComparison.Ordinal) && s.Contains("no key 0x"));
        Assert.Contains(steps, s => s.Contains("carries no certification by another key you know"));
    }

    [Fact]
    public async Task A_signature_by_a_key_no_source_has_is_no_key_and_the_key_server_not_found_is_traced()
    {
        await using var keyServer = new FakeKeyServer();
        await using var lab = PgpLab.Start();
        lab.Runtime!.OpenPgp.KeyServer = keyServer.BaseUri;
        var stranger = PgpKeyStore.NewKey("stranger <stranger@evil.test>", "x");
        Assert.StartsWith("250", await PgpLab.SendToUc(lab, PgpMessages.SignMime(PgpLab.Plain("stranger@evil.test", "alice@uc.test"), stranger.Secret, "x")));
        var r = Result(lab);
        Assert.Equal("no-key", r.Fields["Result"]);
        Assert.Contains((IEnumerable<string>)r.Fields["Steps"]!, s => s.StartsWith("key lookup 2. key server: GET ", StringComparison.Ordinal) && s.EndsWith("-> 404 Not Found", StringComparison.Ordinal));
        Assert.Contains((IEnumerable<string>)r.Fields["Steps"]!, s => s.StartsWith("key lookup 3. OPENPGPKEY", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_signed_message_whose_From_is_not_the_signer_says_so()
    {
        await using var lab = PgpLab.Start();
        // mallory signs with her own (real) key but writes bob in From: the signature covers the body, not the header.
        var signed = PgpMessages.SignMime(PgpLab.Plain("bob <bob@bank.test>", "alice@uc.test"), PgpLab.Keys(lab).LoadSecret("mallory@evil.test")!, "lab-mallory");
        Assert.StartsWith("250", await PgpLab.SendToUc(lab, signed, mailFrom: "mallory@evil.test", from: "127.0.3.1"));
        var verdict = PgpLab.Verdict(await RelayTestHelpers.OnlyMessage(lab, "alice@uc.test"));
        Assert.Contains("valid; key 0x", verdict);
        Assert.Contains("\"mallory <mallory@evil.test>\"", verdict);
        Assert.Contains("signer is NOT the From address bob@bank.test", verdict);
        Assert.Equal(false, Result(lab).Fields["FromMatches"]);
    }

    [Fact]
    public async Task Encrypted_mail_is_recognised_for_its_recipient_and_not_read_by_the_server()
    {
        await using var lab = PgpLab.Start();
        var keys = PgpLab.Keys(lab);
        var encrypted = PgpMessages.EncryptMime(PgpLab.Plain("bob@bank.test", "alice@uc.test", "The secret is 42.\r\n"), [keys.LoadPublic("alice@uc.test")!]);
        Assert.StartsWith("250", await PgpLab.SendToUc(lab, encrypted));
        var delivered = await RelayTestHelpers.OnlyMessage(lab, "alice@uc.test");
        var verdict = PgpLab.Verdict(delivered);
        Assert.StartsWith("encrypted (PGP/MIME): encrypted; for 0x", verdict);
        Assert.Contains("(alice@uc.test)", verdict);
        Assert.DoesNotContain("The secret is 42", delivered);
        Assert.DoesNotContain(lab.Events(), e => e.Text.Contains("The secret is 42"));
        Assert.Null(Result(lab).Fields.GetValueOrDefault("Cipher"));
    }

    [Fact]
    public async Task With_mda_holds_user_keys_the_server_decrypts_what_end_to_end_encryption_keeps_from_it()
    {
        await using var lab = PgpLab.Start(mdaHoldsKeys: true);
        var keys = PgpLab.Keys(lab);
        var encrypted = PgpMessages.EncryptMime(PgpLab.Plain("bob@bank.test", "alice@uc.test", "The secret is 42.\r\n"), [keys.LoadPublic("alice@uc.test")!]);
        Assert.StartsWith("250", await PgpLab.SendToUc(lab, encrypted));
        var r = Result(lab);
        Assert.Equal("decrypted", r.Fields["Result"]);
        Assert.Equal("AES-256", r.Fields["Cipher"]);
        Assert.Contains((IEnumerable<string>)r.Fields["Steps"]!, s => s.StartsWith("decrypted with alice@uc.test's secret key", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("garbage", "-----BEGIN PGP SIGNATURE-----\r\n\r\nbm90IGEgcGFja2V0\r\n=AAAA\r\n-----END PGP SIGNATURE-----\r\n")]
    [InlineData("empty", "")]
    [InlineData("truncated", "-----BEGIN PGP SIGNATURE-----\r\n\r\niHUEARYIAB0WIQ\r\n-----END PGP SIGNATURE-----\r\n")]
    public async Task A_malformed_signature_part_is_a_verdict_and_the_message_is_delivered(string name, string signature)
    {
        _ = name;
        await using var lab = PgpLab.Start();
        var message = "From: bob@bank.test\r\nTo: alice@uc.test\r\nSubject: bad\r\nMIME-Version: 1.0\r\n" +
            "Content-Type: multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"; boundary=\"b\"\r\n\r\n" +
            "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: application/pgp-signature\r\n\r\n" + signature + "\r\n--b--\r\n";
        Assert.StartsWith("250", await PgpLab.SendToUc(lab, Encoding.ASCII.GetBytes(message)));
        Assert.StartsWith("signed (PGP/MIME): malformed;", PgpLab.Verdict(await RelayTestHelpers.OnlyMessage(lab, "alice@uc.test")));
        Assert.Empty(lab.Events(TraceKind.InternalError));
    }

    [Fact]
    public async Task A_deeply_nested_signed_message_is_a_verdict_and_delivered()
    {
        await using var lab = PgpLab.Start();
        var b = new StringBuilder("From: bob@bank.test\r\nTo: alice@uc.test\r\nSubject: deep\r\nMIME-Version: 1.0\r\n" +
            "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=\"b0\"\r\n\r\n");
        for (int i = 0; i < 200; i++) b.Append($"--b{i}\r\nContent-Type: multipart/mixed; boundary=\"b{i + 1}\"\r\n\r\n");
        b.Append("--b200\r\nContent-Type: text/plain\r\n\r\nx\r\n");
        for (int i = 200; i >= 0; i--) b.Append($"--b{i}--\r\n");
        Assert.StartsWith("250", await PgpLab.SendToUc(lab, Encoding.ASCII.GetBytes(b.ToString())));
        Assert.StartsWith("signed (PGP/MIME): malformed;", PgpLab.Verdict(await RelayTestHelpers.OnlyMessage(lab, "alice@uc.test")));
    }

    [Fact]
    public async Task Unsigned_mail_gets_no_OpenPGP_header_nor_event()
    {
        await using var lab = PgpLab.Start();
        Assert.StartsWith("250", await PgpLab.SendToUc(lab, PgpLab.Plain("bob@bank.test", "alice@uc.test")));
        Assert.DoesNotContain("X-MailLab-OpenPGP", await RelayTestHelpers.OnlyMessage(lab, "alice@uc.test"));
        Assert.Empty(lab.Events(TraceKind.OpenPgpResult));
    }

    [Fact]
    public async Task A_forged_X_MailLab_OpenPGP_header_from_the_sender_is_removed()
    {
        await using var lab = PgpLab.Start();
        var forged = Encoding.UTF8.GetString(PgpLab.Plain("bob@bank.test", "alice@uc.test"))
            .Replace("Subject: payment\r\n", "Subject: payment\r\nx-maillab-openpgp: signed (PGP/MIME): valid; key validity alice@uc.test: full\r\n");
        Assert.StartsWith("250", await PgpLab.SendToUc(lab, Encoding.UTF8.GetBytes(forged), mailFrom: "mallory@evil.test", from: "127.0.3.1"));
        var delivered = await RelayTestHelpers.OnlyMessage(lab, "alice@uc.test");
        Assert.DoesNotContain("openpgp", delivered, StringComparison.OrdinalIgnoreCase);
        var removed = Assert.Single(lab.Events(TraceKind.HeaderRemoved));
        Assert.Equal("X-MailLab-OpenPGP", removed.Fields["Header"]);
    }

    [Fact]
    public async Task Alices_signed_submission_is_verified_for_carol_by_the_MSA_and_for_bob_at_the_bank_after_the_relay()
    {
        await using var lab = PgpLab.Start();
        var signed = PgpMessages.SignMime(PgpLab.Plain("alice <alice@uc.test>", "carol@uc.test, bob@bank.test"), PgpLab.Keys(lab).LoadSecret("alice@uc.test")!, "lab-alice");
        // A MailKit client submits it as parsed by MimeKit: the signed part must survive both as octets.
        var message = await MimeKit.MimeMessage.LoadAsync(new MemoryStream(signed));
        var msa = lab.Runtime!.EndPoint("uc", "MSA", "starttls");
        using (var client = new MailKit.Net.Smtp.SmtpClient { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false, Timeout = 20_000 })
        {
            await client.ConnectAsync(msa.Address.ToString(), msa.Port, MailKit.Security.SecureSocketOptions.StartTls);
            await client.AuthenticateAsync("alice@uc.test", "lab-alice");
            await client.SendAsync(message);
            await client.DisconnectAsync(true);
        }
        var carol = PgpLab.Verdict(await RelayTestHelpers.OnlyMessage(lab, "carol@uc.test"));
        Assert.StartsWith("signed (PGP/MIME): valid;", carol);
        Assert.Contains("key validity carol@uc.test: unknown", carol); // nobody carol trusts certified alice
        var bob = await RelayTestHelpers.OnlyMessage(lab, "bob@bank.test");
        Assert.Single(bob.Split("\r\n"), l => l.StartsWith("X-MailLab-OpenPGP:", StringComparison.Ordinal)); // the MSA's went, bank's is there
        Assert.StartsWith("signed (PGP/MIME): valid;", PgpLab.Verdict(bob));
        Assert.Contains("key validity bob@bank.test: unknown", PgpLab.Verdict(bob));
    }
}
