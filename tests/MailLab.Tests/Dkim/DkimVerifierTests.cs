using System.Security.Cryptography;
using System.Text;
using MailLab.MailAuth.Dkim;

namespace MailLab.Tests.Dkim;

/// <summary>The verifier's decisions one by one: keys, algorithms, tags and limits, each with its reason.</summary>
public class DkimVerifierTests
{
    private static readonly byte[] TestMessage = DkimMessage.ToCrlf(File.ReadAllBytes(Path.Combine(DkimSuite.DataDir, "dkimpy", "test.message")));
    private static string Data(string f) => File.ReadAllText(Path.Combine(DkimSuite.DataDir, "dkimpy", f)).Trim();
    private static DkimPrivateKey DkimpyRsa() => DkimPrivateKey.FromPem(Data("test.private"));

    private static async Task<DkimVerification> Verify(string signedMessage, MemoryDkimResolver dns) =>
        Assert.Single(await new DkimVerifier(dns).VerifyAsync(Encoding.Latin1.GetBytes(signedMessage)));

    private static string Signed(DkimPrivateKey key, string domain = "example.com", string selector = "test") =>
        DkimSigner.Sign(TestMessage, key, domain, selector, DateTimeOffset.UtcNow) + Encoding.Latin1.GetString(TestMessage);

    /// <summary>A DKIM-Signature with any tags, signed by <paramref name="rsa"/> with the hash <paramref name="a"/> names.</summary>
    private static string Custom(RSA rsa, string tags, byte[]? message = null)
    {
        message ??= TestMessage;
        var parsed = DkimMessage.Parse(message);
        var sig = DkimSignature.Parse(tags + " b=AA==", out var e, out _) ?? throw new InvalidOperationException(e);
        var field = "DKIM-Signature: " + tags + " b=";
        var data = DkimVerifier.HeaderData(parsed, new DkimHeaderField("DKIM-Signature", field + "\r\n"), sig);
        var hash = sig.Algorithm == DkimAlgorithm.RsaSha1 ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256;
        return field + Convert.ToBase64String(rsa.SignData(data, hash, RSASignaturePadding.Pkcs1)) + "\r\n" + Encoding.Latin1.GetString(message);
    }

    private static string BodyHash(byte[] message, bool sha1 = false, long? length = null)
    {
        var body = DkimCanonicalizer.RelaxedBody(DkimMessage.Parse(message).Body.Span);
        if (length is { } l) body = body[..(int)l];
        return Convert.ToBase64String(sha1 ? SHA1.HashData(body) : SHA256.HashData(body));
    }

    [Fact]
    public async Task Signed_with_dkimpys_key_verifies_against_its_record()
    {
        var r = await Verify(Signed(DkimpyRsa()), new MemoryDkimResolver().Record("test._domainkey.example.com", Data("test.txt")));
        Assert.Equal(DkimResultCode.Pass, r.Result);
        Assert.Equal(1024, r.KeyBits);
        Assert.Contains("from", r.SignedHeaders);
        Assert.Equal(2, r.SignedHeaders.Count(h => h == "from")); // oversigned
    }

    [Theory]
    [InlineData("badversion.txt", "v=DKIM1: g=*")]          // "v=DKIM1:" is not DKIM1
    [InlineData("badk.txt", "k=ed25519-sha256 is not a known key type")]
    public async Task Broken_key_records_are_permerror(string record, string reason)
    {
        var r = await Verify(Signed(DkimpyRsa()), new MemoryDkimResolver().Record("test._domainkey.example.com", Data(record)));
        Assert.Equal(DkimResultCode.PermError, r.Result);
        Assert.Contains(reason, r.Reason);
    }

    [Fact]
    public async Task A_corrupted_public_key_does_not_pass()
    {
        var r = await Verify(Signed(DkimpyRsa()), new MemoryDkimResolver().Record("test._domainkey.example.com", Data("test_bad.txt")));
        Assert.NotEqual(DkimResultCode.Pass, r.Result);
    }

    [Fact]
    public async Task A_revoked_key_is_permerror()
    {
        var r = await Verify(Signed(DkimpyRsa()), new MemoryDkimResolver().Record("test._domainkey.example.com", "v=DKIM1; k=rsa; p="));
        Assert.Equal(DkimResultCode.PermError, r.Result);
        Assert.Contains("revoked", r.Reason);
    }

    [Fact]
    public async Task Ed25519_with_dkimpys_seed_verifies_and_the_RFC_8032_key_derives_the_RFC_8463_record()
    {
        var key = DkimPrivateKey.FromEd25519Seed(Convert.FromBase64String(Data("ed25519test.key")));
        var r = await Verify(Signed(key, "example.net"), new MemoryDkimResolver().Record("test._domainkey.example.net", Data("ed25519test.dns")));
        Assert.Equal(DkimResultCode.Pass, r.Result);
        Assert.Equal("ed25519-sha256", r.Algorithm);
        var rfc = DkimPrivateKey.FromEd25519Seed(Convert.FromBase64String(Data("rfc8032_7_1.key")));
        Assert.Equal("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", rfc.ToDnsRecord());
        Assert.Equal(rfc.ToDnsRecord(), DkimPrivateKey.FromPem(rfc.ToPem()).ToDnsRecord()); // PKCS#8 round trip
    }

    [Fact]
    public async Task Rsa_sha1_fails_per_RFC_8301_even_when_the_signature_matches()
    {
        using var rsa = RSA.Create(2048);
        var msg = Custom(rsa, $"v=1; a=rsa-sha1; c=relaxed/relaxed; d=example.com; s=test; h=from:to:subject; bh={BodyHash(TestMessage, sha1: true)};");
        var r = await Verify(msg, new MemoryDkimResolver().Record("test._domainkey.example.com", "v=DKIM1; p=" + Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo())));
        Assert.Equal(DkimResultCode.Fail, r.Result);
        Assert.Contains("RFC 8301", r.Reason);
        Assert.Contains(r.Steps, s => s.Step == "signature" && s.Ok == true);
    }

    [Fact]
    public async Task An_RSA_key_under_1024_bits_fails()
    {
        using var rsa = RSA.Create(512);
        var msg = Custom(rsa, $"v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=test; h=from; bh={BodyHash(TestMessage)};");
        var r = await Verify(msg, new MemoryDkimResolver().Record("test._domainkey.example.com", "v=DKIM1; p=" + Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo())));
        Assert.Equal(DkimResultCode.Fail, r.Result);
        Assert.Equal(512, r.KeyBits);
        Assert.Contains("too small", r.Reason);
    }

    [Fact]
    public async Task Body_length_limit_is_flagged_and_appended_content_is_policy()
    {
        using var rsa = RSA.Create(2048);
        var dns = new MemoryDkimResolver().Record("test._domainkey.example.com", "v=DKIM1; p=" + Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()));
        long whole = DkimCanonicalizer.RelaxedBody(DkimMessage.Parse(TestMessage).Body.Span).Length;
        var exact = Custom(rsa, $"v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=test; h=from; l={whole}; bh={BodyHash(TestMessage, length: whole)};");
        var r = await Verify(exact, dns);
        Assert.Equal(DkimResultCode.Pass, r.Result);
        Assert.Equal(whole, r.BodyLength);

        var appended = await Verify(exact + "Click here: http://evil.test/\r\n", dns);
        Assert.Equal(DkimResultCode.Policy, appended.Result);
        Assert.True(appended.UnsignedBodyOctets > 0);
        Assert.Contains("unsigned", appended.Reason);
    }

    [Theory]
    [InlineData("v=1; a=rsa-sha256; d=example.com; s=test; h=to:subject; bh=AA==;", "h= does not include From")]
    [InlineData("v=2; a=rsa-sha256; d=example.com; s=test; h=from; bh=AA==;", "v=2 is not a supported version")]
    [InlineData("v=1; a=rsa-md5; d=example.com; s=test; h=from; bh=AA==;", "a=rsa-md5 is not a known algorithm")]
    [InlineData("v=1; a=rsa-sha256; s=test; h=from; bh=AA==;", "required tag d= is missing")]
    [InlineData("v=1; a=rsa-sha256; d=example.com; s=test; h=from; bh=AA==; i=@other.example;", "is not in d=example.com")]
    [InlineData("v=1; a=rsa-sha256; d=example.com; s=test; h=from; bh=AA==; t=200; x=100;", "x= is before t=")]
    [InlineData("v=1; a=rsa-sha256; c=fancy; d=example.com; s=test; h=from; bh=AA==;", "unknown canonicalization")]
    public async Task Malformed_signatures_are_permerror_with_the_rule_broken(string tags, string reason)
    {
        using var rsa = RSA.Create(1024);
        var dns = new MemoryDkimResolver();
        var r = await Verify(("DKIM-Signature: " + tags + " b=AAAA\r\n") + Encoding.Latin1.GetString(TestMessage), dns);
        Assert.Equal(DkimResultCode.PermError, r.Result);
        Assert.Contains(reason, r.Reason);
        Assert.Empty(dns.Queries); // no key is fetched for a signature that cannot be checked
    }

    [Fact]
    public async Task Only_the_first_five_signatures_are_verified()
    {
        var key = DkimpyRsa();
        var msg = Encoding.Latin1.GetString(TestMessage);
        for (int i = 0; i < 6; i++) msg = DkimSigner.Sign(Encoding.Latin1.GetBytes(msg), key, "example.com", "test", DateTimeOffset.UtcNow) + msg;
        var dns = new MemoryDkimResolver().Record("test._domainkey.example.com", Data("test.txt"));
        var results = await new DkimVerifier(dns).VerifyAsync(Encoding.Latin1.GetBytes(msg));
        Assert.Equal(6, results.Count);
        Assert.All(results.Take(5), r => Assert.Equal(DkimResultCode.Pass, r.Result));
        Assert.Equal(DkimResultCode.Neutral, results[5].Result);
        Assert.Equal(5, dns.Queries.Count);
    }

    [Fact]
    public async Task Key_type_must_fit_the_algorithm()
    {
        var r = await Verify(Signed(DkimpyRsa()), new MemoryDkimResolver().Record("test._domainkey.example.com", Data("ed25519test.dns")));
        Assert.Equal(DkimResultCode.PermError, r.Result);
        Assert.Contains("k=ed25519", r.Reason);
    }
}
