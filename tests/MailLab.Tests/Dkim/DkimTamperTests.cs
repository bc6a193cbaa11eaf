using MailLab.MailAuth.Dkim;
using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Dkim;

/// <summary>One running lab for the tamper tests: signing is done with its uc.test keys, verification by bank.test's MTA.</summary>
public sealed class DkimLabFixture : IAsyncLifetime
{
    public TestLab Lab { get; } = TestLab.Create();

    public Task InitializeAsync()
    {
        Lab.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Lab.DisposeAsync();
}

/// <summary>
/// A signed message changed on its way to bank.test's MTA (which asks the real lab DNS for the key):
/// what DKIM catches and what it does not.
/// </summary>
public sealed class DkimTamperTests(DkimLabFixture fixture) : IClassFixture<DkimLabFixture>
{
    private TestLab Lab => fixture.Lab;

    [Fact]
    public async Task Untouched_message_passes_with_both_keys()
    {
        var results = await DkimLabHelpers.SendToBank(Lab, DkimLabHelpers.SignAsUc(Lab, DkimLabHelpers.Message));
        Assert.Equal(["pass", "pass"], results.Select(r => r.Field("Result")));
        Assert.Equal(["rsa-sha256", "ed25519-sha256"], results.Select(r => r.Field("Algorithm")));
    }

    [Fact]
    public async Task One_body_byte_changed_fails_with_body_hash_mismatch_and_both_hashes_shown()
    {
        var signed = DkimLabHelpers.SignAsUc(Lab, DkimLabHelpers.Message);
        var results = await DkimLabHelpers.SendToBank(Lab, signed.Replace("100 EUR", "900 EUR"));
        Assert.All(results, r =>
        {
            Assert.Equal("fail", r.Field("Result"));
            Assert.Equal("body hash mismatch", r.Field("Reason"));
            Assert.NotNull(r.Field("BodyHashComputed"));
            Assert.NotEqual(r.Field("BodyHashClaimed"), r.Field("BodyHashComputed"));
        });
        Assert.Equal(2, results.Count);
    }

    [Fact]
    public async Task A_signed_header_changed_fails_with_signature_mismatch()
    {
        var signed = DkimLabHelpers.SignAsUc(Lab, DkimLabHelpers.Message);
        var results = await DkimLabHelpers.SendToBank(Lab, signed.Replace("Subject: transfer", "Subject: urgent transfer"));
        Assert.Equal(2, results.Count);
        Assert.All(results, r =>
        {
            Assert.Equal("fail", r.Field("Result"));
            Assert.Equal("signature mismatch", r.Field("Reason"));
            Assert.Equal(r.Field("BodyHashClaimed"), r.Field("BodyHashComputed")); // the body is intact
        });
    }

    [Fact]
    public async Task An_unsigned_header_added_still_passes_and_is_listed_as_unsigned()
    {
        var signed = DkimLabHelpers.SignAsUc(Lab, DkimLabHelpers.Message);
        var results = await DkimLabHelpers.SendToBank(Lab, "X-Priority: 1\r\n" + signed);
        Assert.Equal(["pass", "pass"], results.Select(r => r.Field("Result")));
        Assert.All(results, r => Assert.Contains("X-Priority", (string[])r.Fields["UnsignedHeaders"]!));
    }

    [Fact]
    public async Task A_second_From_added_on_top_fails_because_From_is_oversigned()
    {
        var signed = DkimLabHelpers.SignAsUc(Lab, DkimLabHelpers.Message);
        var results = await DkimLabHelpers.SendToBank(Lab, signed.Replace("From: Alice <alice@uc.test>\r\n", "From: Alice <alice@uc.test>\r\nFrom: ceo@bank.test\r\n"));
        Assert.Equal(["fail", "fail"], results.Select(r => r.Field("Result")));
    }

    [Fact]
    public async Task An_expired_signature_fails()
    {
        var signed = DkimLabHelpers.SignAsUc(Lab, DkimLabHelpers.Message, DateTimeOffset.UtcNow.AddDays(-2), TimeSpan.FromDays(1));
        var results = await DkimLabHelpers.SendToBank(Lab, signed);
        Assert.Equal(["fail", "fail"], results.Select(r => r.Field("Result")));
        Assert.All(results, r => Assert.StartsWith("signature expired at ", r.Field("Reason")));
    }

    [Fact]
    public async Task Key_removed_from_the_zone_gives_permerror_no_key_for_that_signature_only()
    {
        var zone = Path.Combine(Lab.DataDirectory, "zones", "uc.test.zone");
        var text = await File.ReadAllTextAsync(zone);
        long before = Lab.Tracer.Stream.Count;
        var without = string.Join("\n", text.Split('\n').Where(l => !l.StartsWith("lab-rsa._domainkey.", StringComparison.Ordinal)));
        try
        {
            await File.WriteAllTextAsync(zone, without);
            await Lab.WaitForEvent(e => e.Sequence > before && e.Kind == TraceKind.ZoneLoaded && e.Text.Contains("uc.test"), 5_000);
            var results = await DkimLabHelpers.SendToBank(Lab, DkimLabHelpers.SignAsUc(Lab, DkimLabHelpers.Message));
            Assert.Equal(["permerror", "pass"], results.Select(r => r.Field("Result")));
            Assert.Equal("no key for signature (RFC 6376 §6.1.2)", results[0].Field("Reason"));
            Assert.Equal("lab-rsa._domainkey.uc.test TXT", results[0].Field("KeyQuery"));
        }
        finally
        {
            before = Lab.Tracer.Stream.Count;
            await File.WriteAllTextAsync(zone, text + "\n");
            await Lab.WaitForEvent(e => e.Sequence > before && e.Kind == TraceKind.ZoneLoaded && e.Text.Contains("uc.test"), 5_000);
        }
    }

    [Fact]
    public async Task A_DNS_failure_on_the_key_lookup_is_temperror()
    {
        var dns = new MemoryDkimResolver();
        dns.Failing.Add("lab-rsa._domainkey.uc.test");
        var message = System.Text.Encoding.UTF8.GetBytes(DkimLabHelpers.SignAsUc(Lab, DkimLabHelpers.Message));
        var results = await new DkimVerifier(dns).VerifyAsync(message);
        Assert.Equal(DkimResultCode.TempError, results[0].Result);
        Assert.Contains("SERVFAIL", results[0].Reason);
        Assert.Equal(DkimResultCode.PermError, results[1].Result); // no record at all for the ed25519 selector here
    }
}
