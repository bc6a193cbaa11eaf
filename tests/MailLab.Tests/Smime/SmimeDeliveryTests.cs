using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailLab.Server.Certificates;
using MailLab.Server.Smime;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Smime;

/// <summary>One lab with the users' S/MIME certificates for every delivery test of the class (their keys take a while to make).</summary>
public sealed class SmimeLabFixture : IAsyncLifetime
{
    public TestLab Lab { get; private set; } = null!;
    public UserCertificateAuthority Users { get; private set; } = null!;

    public Task InitializeAsync()
    {
        // Every site serves IMAP too, so a real client can read what was delivered.
        Lab = TestLab.FromYaml(TestLab.LabYaml().Replace("ports: { mta: 0, submission: 0, submissions: 0 }",
            "ports: { mta: 0, submission: 0, submissions: 0, imap: 0, imaps: 0 }")).Start(userKeys: true);
        Users = SmimeTestKit.Users(Lab);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Lab.DisposeAsync();
}

/// <summary>
/// S/MIME at delivery over real SMTP (MailKit) into a running lab: the verdict in the trace (SmimeStep,
/// SmimeResult) and in the X-MailLab-SMIME header of the stored message, for the genuine case and the
/// issue's five attacks; encrypted mail recognised; broken input a verdict, and the mail still delivered.
/// </summary>
public sealed class SmimeDeliveryTests(SmimeLabFixture fixture) : IClassFixture<SmimeLabFixture>
{
    private TestLab Lab => fixture.Lab;

    private async Task<(string Header, TraceEvent Result, IReadOnlyList<TraceEvent> Steps)> DeliverToBob(byte[] message, string mailFrom, string subject)
    {
        long before = Lab.Tracer.Stream.Count;
        Assert.StartsWith("2.0.0 Ok", await SmimeTestKit.SendToBankMta(Lab, message, mailFrom));
        var stored = await SmimeTestKit.Stored(Lab, "bob@bank.test", subject);
        var events = Lab.Tracer.Stream.Query().Where(e => e.Sequence >= before).ToList();
        var result = events.Last(e => e.Kind == TraceKind.SmimeResult);
        return (SmimeTestKit.SmimeHeader(stored), result, events.Where(e => e.Kind == TraceKind.SmimeStep && e.Message == result.Message).ToList());
    }

    private byte[] SignedByAlice(string subject, string from = "alice@uc.test")
    {
        var m = SmimeTestKit.Message(from, "bob@bank.test", subject);
        SmimeComposer.Sign(m, fixture.Users, "alice@uc.test");
        return SmimeTestKit.Bytes(m);
    }

    [Fact]
    public async Task A_message_signed_by_alice_is_valid_with_every_step_traced_and_the_header_says_so()
    {
        var (header, result, steps) = await DeliverToBob(SignedByAlice("signed hello"), "alice@uc.test", "signed hello");
        Assert.Equal("valid", result.Field("Verdict"));
        Assert.Equal("multipart/signed", result.Field("Structure"));
        Assert.Equal("alice@uc.test", result.Field("Signer"));
        Assert.Equal("good", result.Field("Revocation"));
        Assert.Equal("matches", result.Field("ContentHash"));
        Assert.Equal("sha256", result.Field("DigestAlgorithm"));
        Assert.Equal("True", result.Field("FromMatches"));
        Assert.Equal("structure structure signer digest content-hash signature chain validity revocation from verdict",
            string.Join(" ", steps.Select(s => s.Field("Step"))));
        Assert.StartsWith("multipart/signed=valid; signer=alice@uc.test; chain=", header);
        Assert.Contains("MailLab User CA", header);
        Assert.Contains("revocation=good", header);
    }

    [Fact]
    public async Task Attack_body_changed_after_signing_is_tampered()
    {
        var signed = Encoding.ASCII.GetString(SignedByAlice("tampered"));
        var changed = Encoding.ASCII.GetBytes(signed.Replace("Meet me at noon.", "Meet me at 3 am."));
        Assert.NotEqual(signed, Encoding.ASCII.GetString(changed));
        var (header, result, steps) = await DeliverToBob(changed, "alice@uc.test", "tampered");
        Assert.Equal("tampered", result.Field("Verdict"));
        Assert.Equal("differs", result.Field("ContentHash"));
        Assert.Equal("False", steps.Single(s => s.Field("Step") == "content-hash").Field("Ok"));
        Assert.StartsWith("multipart/signed=tampered", header);
    }

    [Fact]
    public async Task Attack_signature_by_mallorys_self_made_ca_is_untrusted()
    {
        var (chain, key) = SmimeTestKit.MalloryCertificate("mallory@evil.test");
        var m = SmimeTestKit.Message("mallory@evil.test", "bob@bank.test", "from mallory's CA");
        SmimeComposer.Sign(m, chain, key);
        var (header, result, _) = await DeliverToBob(SmimeTestKit.Bytes(m), "mallory@evil.test", "from mallory's CA");
        Assert.Equal("untrusted-ca", result.Field("Verdict"));
        Assert.Equal("not-checked", result.Field("Revocation"));
        Assert.Contains("issued by CN=Mallory Trust Services", result.Text);
        Assert.StartsWith("multipart/signed=untrusted-ca; signer=mallory@evil.test", header);
    }

    [Fact]
    public async Task Attack_mallorys_certificate_for_alices_address_is_untrusted_even_under_a_look_alike_ca_name()
    {
        var (chain, key) = SmimeTestKit.MalloryCertificate("alice@uc.test", caName: "CN=MailLab User CA, O=MailLab teaching lab");
        var m = SmimeTestKit.Message("alice@uc.test", "bob@bank.test", "fake alice");
        SmimeComposer.Sign(m, chain, key);
        var (header, result, steps) = await DeliverToBob(SmimeTestKit.Bytes(m), "mallory@evil.test", "fake alice");
        Assert.Equal("untrusted-ca", result.Field("Verdict"));
        Assert.Equal("alice@uc.test", result.Field("Signer"));
        Assert.Equal("True", result.Field("FromMatches")); // the address matches: only the chain gives it away
        Assert.Contains("look-alike CA", steps.Single(s => s.Field("Step") == "chain").Field("Detail"));
        Assert.StartsWith("multipart/signed=untrusted-ca; signer=alice@uc.test", header);
    }

    [Fact]
    public async Task Attack_revoked_signer_is_revoked_with_its_date_and_a_revoke_reaches_the_running_lab()
    {
        // postmaster@bank.test signs; the first message is good, then the certificate is revoked while the lab runs.
        byte[] Sign(string subject)
        {
            var m = SmimeTestKit.Message("postmaster@bank.test", "bob@bank.test", subject);
            SmimeComposer.Sign(m, fixture.Users, "postmaster@bank.test");
            return SmimeTestKit.Bytes(m);
        }
        var first = Sign("before revoke");
        var second = Sign("after revoke");
        var (_, good, _) = await DeliverToBob(first, "postmaster@bank.test", "before revoke");
        Assert.Equal("valid", good.Field("Verdict"));

        Assert.True(fixture.Users.Revoke("postmaster@bank.test", X509RevocationReason.KeyCompromise, out var entry));
        var (header, result, _) = await DeliverToBob(second, "postmaster@bank.test", "after revoke");
        Assert.Equal("revoked", result.Field("Verdict"));
        Assert.Equal(entry!.RevokedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"), result.Field("RevokedAt"));
        Assert.Contains("keyCompromise", result.Text + string.Join(" ", Lab.Events(TraceKind.SmimeStep).Select(e => e.Text)));
        Assert.Contains("revocation=revoked since ", header);
    }

    [Fact]
    public async Task Attack_header_from_not_the_signer_is_from_mismatch()
    {
        var (header, result, steps) = await DeliverToBob(SignedByAlice("ceo says", from: "ceo@bank.test"), "alice@uc.test", "ceo says");
        Assert.Equal("from-mismatch", result.Field("Verdict"));
        Assert.Equal("False", result.Field("FromMatches"));
        Assert.Equal("ceo@bank.test", result.Field("HeaderFrom"));
        Assert.Contains("covers the body, not the header", steps.Single(s => s.Field("Step") == "from").Field("Detail"));
        Assert.Contains("from=differs", header);
    }

    [Fact]
    public async Task An_encrypted_message_is_recognised_for_its_recipient_and_not_decrypted()
    {
        var m = SmimeTestKit.Message("alice@uc.test", "bob@bank.test", "secret");
        SmimeComposer.Encrypt(m, fixture.Users, ["bob@bank.test"]);
        var (header, result, steps) = await DeliverToBob(SmimeTestKit.Bytes(m), "alice@uc.test", "secret");
        Assert.Equal("encrypted", result.Field("Verdict"));
        Assert.Equal("enveloped-data", result.Field("Structure"));
        Assert.Equal("aes256-cbc", result.Field("ContentCipher"));
        Assert.Equal("False", result.Field("Decrypted"));
        Assert.Contains("bob@bank.test", result.Text);
        Assert.Contains("end-to-end", steps.Single(s => s.Field("Step") == "decrypt").Field("Detail"));
        Assert.StartsWith("enveloped-data=encrypted; recipients=bob@bank.test; cipher=aes256-cbc; not decrypted", header);
    }

    [Fact]
    public async Task A_broken_signature_is_a_malformed_verdict_and_the_message_is_still_delivered()
    {
        var text = "From: alice@uc.test\r\nTo: bob@bank.test\r\nSubject: broken\r\nMIME-Version: 1.0\r\n" +
            "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"b\"\r\n\r\n" +
            "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\nMIIBAAAA\r\n--b--\r\n";
        var (header, result, _) = await DeliverToBob(Encoding.ASCII.GetBytes(text), "alice@uc.test", "broken");
        Assert.Equal("malformed", result.Field("Verdict"));
        Assert.StartsWith("multipart/signed=malformed", header);
    }

    [Fact]
    public async Task Alice_to_carol_style_local_mail_is_verified_at_the_msa()
    {
        // In the test lab uc.test has one user; alice writes to herself: the MSA delivers it, no MTA sees it.
        var m = SmimeTestKit.Message("alice@uc.test", "alice@uc.test", "note to self");
        SmimeComposer.Sign(m, fixture.Users, "alice@uc.test");
        long before = Lab.Tracer.Stream.Count;
        await SmimeTestKit.SubmitAsync(Lab, "uc", "alice@uc.test", "lab-alice", m);
        var stored = await SmimeTestKit.Stored(Lab, "alice@uc.test", "note to self");
        var result = Lab.Tracer.Stream.Query().Last(e => e.Sequence >= before && e.Kind == TraceKind.SmimeResult);
        Assert.Equal(TraceRole.MSA, result.Role);
        Assert.Equal("valid", result.Field("Verdict"));
        Assert.StartsWith("multipart/signed=valid", SmimeTestKit.SmimeHeader(stored));
    }

    [Fact]
    public async Task A_signature_submitted_at_uc_survives_dkim_signing_and_the_relay_and_is_valid_at_bank()
    {
        var m = SmimeTestKit.Message("alice@uc.test", "bob@bank.test", "relayed and signed");
        SmimeComposer.Sign(m, fixture.Users, "alice@uc.test");
        var sent = SmimeTestKit.Bytes(m);
        long before = Lab.Tracer.Stream.Count;
        await SmimeTestKit.SubmitAsync(Lab, "uc", "alice@uc.test", "lab-alice", m);
        var stored = await SmimeTestKit.Stored(Lab, "bob@bank.test", "relayed and signed");
        Assert.StartsWith("multipart/signed=valid; signer=alice@uc.test", SmimeTestKit.SmimeHeader(stored));
        // uc's MSA verified nothing (no local recipient); bank's MTA did, in the relay's session.
        var results = Lab.Tracer.Stream.Query().Where(e => e.Sequence >= before && e.Kind == TraceKind.SmimeResult).ToList();
        Assert.Equal(TraceRole.MTA, Assert.Single(results).Role);
        // The body arrives byte for byte as it was signed.
        var body = Encoding.ASCII.GetString(sent)[Encoding.ASCII.GetString(sent).IndexOf("\r\n\r\n", StringComparison.Ordinal)..];
        Assert.EndsWith(body, stored);

        // bob's MUA reads it over IMAP (MailKit): the stored octets exactly, so the signature holds on his side too.
        using var imap = new MailKit.Net.Imap.ImapClient { ServerCertificateValidationCallback = TestPki.Validate, CheckCertificateRevocation = false };
        var ep = Lab.Runtime!.Listeners.First(l => l.Site == "bank" && l.Role == "IMAP" && l.Tls == "implicit");
        await imap.ConnectAsync(ep.Address, ep.Port, MailKit.Security.SecureSocketOptions.SslOnConnect);
        await imap.AuthenticateAsync("bob@bank.test", "lab-bob");
        await imap.Inbox.OpenAsync(MailKit.FolderAccess.ReadOnly);
        var uid = Assert.Single(await imap.Inbox.SearchAsync(MailKit.Search.SearchQuery.SubjectContains("relayed and signed")));
        using var fetched = new MemoryStream();
        await using (var raw = await imap.Inbox.GetStreamAsync(uid, "")) await raw.CopyToAsync(fetched); // BODY[]: the octets as stored
        Assert.Equal(stored, Encoding.ASCII.GetString(fetched.ToArray()));
        Assert.Equal("valid", Lab.Runtime.ReceiveServicesOf("bank")!.Smime!.Verify(fetched.ToArray(), "alice@uc.test").Verdict);
        await imap.DisconnectAsync(true);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_forged_incoming_x_maillab_smime_header_is_removed_so_only_the_lab_speaks(bool signed)
    {
        var subject = $"forged verdict {signed}";
        var m = SmimeTestKit.Message("ceo@bank.test", "bob@bank.test", subject);
        if (signed) SmimeComposer.Sign(m, fixture.Users, "alice@uc.test");
        m.Headers.Add("X-MailLab-SMIME", "multipart/signed=valid; signer=ceo@bank.test");
        long before = Lab.Tracer.Stream.Count;
        await SmimeTestKit.SendToBankMta(Lab, SmimeTestKit.Bytes(m), "mallory@evil.test", from: "127.0.3.1");
        var stored = await SmimeTestKit.Stored(Lab, "bob@bank.test", subject);
        Assert.DoesNotContain("signer=ceo@bank.test", stored);
        Assert.Equal(signed ? 1 : 0, stored.Split("\r\n").Count(l => l.StartsWith("X-MailLab-SMIME:", StringComparison.Ordinal)));
        Assert.Contains(Lab.Tracer.Stream.Query(), e => e.Sequence >= before && e.Kind == TraceKind.HeaderRemoved && e.Field("Header") == "X-MailLab-SMIME");
    }

    [Fact]
    public async Task Plain_mail_gets_no_smime_event_nor_header()
    {
        long before = Lab.Tracer.Stream.Count;
        var m = SmimeTestKit.Message("alice@uc.test", "bob@bank.test", "plain");
        await SmimeTestKit.SendToBankMta(Lab, SmimeTestKit.Bytes(m), "alice@uc.test");
        var stored = await SmimeTestKit.Stored(Lab, "bob@bank.test", "plain");
        Assert.DoesNotContain("X-MailLab-SMIME", stored);
        Assert.DoesNotContain(Lab.Tracer.Stream.Query(), e => e.Sequence >= before && e.Kind is TraceKind.SmimeResult or TraceKind.SmimeStep);
    }
}
