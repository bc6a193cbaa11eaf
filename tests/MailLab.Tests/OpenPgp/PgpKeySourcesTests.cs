using System.Text;
using MailLab.Server.Dns;
using MailLab.Server.OpenPgp;
using MailLab.Server.Trace;
using MailLab.Tests.Relay;

namespace MailLab.Tests.OpenPgp;

/// <summary>
/// The MDA's key sources beyond its keyring, as the lab wires them with no help from the test: the lab's own
/// key server (the HTTP service's bound port) and OPENPGPKEY in the lab DNS; the lab's lookups carry Origin.
/// </summary>
public sealed class PgpKeySourcesTests
{
    [Fact]
    public async Task Mallorys_key_uploaded_to_the_labs_key_server_is_found_there_and_the_lookup_is_the_labs_work()
    {
        await using var lab = PgpLab.Start();
        var web = lab.Runtime!.Web!;
        Assert.Equal(new Uri(web.Url + "/"), lab.Runtime.OpenPgp.KeyServer);
        // mallory uploads a key with bob's user ID over HKP, as gpg --send-keys does.
        var fake = PgpKeyStore.NewKey("bob <bob@bank.test>", "mallory");
        using (var http = new HttpClient())
        {
            var upload = await http.PostAsync(web.Url + "/pks/add",
                new FormUrlEncodedContent([new("keytext", PgpKeyStore.Armor(fake.Public))]));
            Assert.True(upload.IsSuccessStatusCode, await upload.Content.ReadAsStringAsync());
        }
        var signed = PgpMessages.SignMime(PgpLab.Plain("bob <bob@bank.test>", "alice@uc.test", "Bob here: pay to 666.\r\n"), fake.Secret, "mallory");
        Assert.StartsWith("250", await PgpLab.SendToUc(lab, signed, mailFrom: "mallory@evil.test", from: "127.0.3.1"));

        var verdict = PgpLab.Verdict(await RelayTestHelpers.OnlyMessage(lab, "alice@uc.test"));
        Assert.Contains("from the key server; key validity alice@uc.test: unknown", verdict);
        string fingerprint = PgpText.Fingerprint(fake.Public.GetPublicKey());
        // The upload is the student's (mallory's) act; the MDA's lookup is the lab's, asked from uc's address.
        var upload1 = Assert.Single(lab.Events(TraceKind.KeyServerUpload), e => e.Fields["Source"] is not "seed");
        Assert.Null(upload1.Origin);
        var lookup = Assert.Single(lab.Events(TraceKind.KeyServerLookup), e => (string?)e.Fields["Search"] == "0x" + fingerprint);
        Assert.Equal(LabOrigin.Resolver, lookup.Origin);
        Assert.Equal("127.0.1.1", lookup.Fields["Client"]);
        Assert.Contains(lab.Events(TraceKind.WebRequest), e => e.Origin == LabOrigin.Resolver && ((string)e.Fields["Query"]!).Contains(fingerprint));
        Assert.Contains(lab.Events(TraceKind.WebRequest), e => e.Origin is null && (string?)e.Fields["Path"] == "/pks/add");
    }

    [Fact]
    public async Task A_key_neither_in_the_keyring_nor_on_a_key_server_is_found_by_its_OPENPGPKEY_record()
    {
        await using var lab = PgpLab.Start();
        var keys = PgpLab.Keys(lab);
        var bobSecret = keys.LoadSecret("bob@bank.test")!;
        // uc's MDA neither has bob's key in the lab keyring nor a key server: only the lab DNS has it (RFC 7929).
        lab.Runtime!.OpenPgp.KeyServer = null;
        File.Delete(keys.PublicFile("bob@bank.test"));
        var signed = PgpMessages.SignMime(PgpLab.Plain("bob <bob@bank.test>", "alice@uc.test"), bobSecret, "lab-bob");
        Assert.StartsWith("250", await PgpLab.SendToUc(lab, signed));

        var r = Assert.Single(lab.Events(TraceKind.OpenPgpResult));
        Assert.Equal("valid", r.Fields["Result"]);
        Assert.Equal("dns", r.Fields["KeySource"]);
        Assert.Contains((IEnumerable<string>)r.Fields["Steps"]!, s => s.StartsWith("key lookup 3. OPENPGPKEY ", StringComparison.Ordinal)
            && s.Contains(OpenPgpKeyRecords.OwnerName("bob@bank.test")));
        // The question came from uc's resolver: the lab's work, never a student's dig.
        Assert.Contains(lab.Events(TraceKind.DnsQuery), e => e.Origin == LabOrigin.Resolver && ((string?)e.Fields["Name"] ?? "").StartsWith(OpenPgpKeyRecords.OwnerName("bob@bank.test").TrimEnd('.'), StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary><c>maillab pgp keygen</c> for a user added later, against a running lab.</summary>
public sealed class PgpKeygenPublishTests
{
    [Fact]
    public async Task Keygen_publishes_the_new_key_as_OPENPGPKEY_and_uploads_it_to_the_running_labs_key_server()
    {
        // A running lab whose users have no OpenPGP key yet (as after adding alice to the lab file).
        await using var lab = Support.TestLab.FromYaml(PgpLab.Yaml()).Start(userKeys: false);
        var labFile = Path.Combine(lab.DataDirectory, "lab.yml");
        await File.WriteAllTextAsync(labFile, PgpLab.Yaml());

        var r = await Support.MailLabProcess.Run("pgp", "keygen", "alice@uc.test", "--data", lab.DataDirectory, "--lab", labFile);
        Assert.True(r.Code == 0, r.Out + r.Err);
        string owner = OpenPgpKeyRecords.OwnerName("alice@uc.test");
        Assert.Contains($"OPENPGPKEY (RFC 7929): {owner} appended to", r.Out);
        Assert.Contains(owner, await File.ReadAllTextAsync(Path.Combine(lab.DataDirectory, "zones", "uc.test.zone")));
        Assert.Matches(@"key server: POST http://127\.0\.9\.1:\d+/pks/add -> 200", r.Out);
        string fingerprint = PgpText.Fingerprint(new PgpKeyStore(lab.DataDirectory).LoadPublic("alice@uc.test")!.GetPublicKey());
        Assert.Contains(lab.Events(TraceKind.KeyServerUpload), e => ((IEnumerable<string>)e.Fields["Fingerprints"]!).Contains(fingerprint) && e.Fields["Source"] is not "seed");
    }
}
