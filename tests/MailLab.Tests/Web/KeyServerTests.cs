using System.Net;
using System.Net.Http.Headers;
using MailLab.Server.Trace;
using MailLab.Tests.Interop;
using MailLab.Tests.Support;

namespace MailLab.Tests.Web;

/// <summary>The HKP key server, driven by real gpg (its own GNUPGHOME each) and by plain HTTP.</summary>
public class KeyServerTests
{
    private static HttpClient Client(TestLab lab) => new() { BaseAddress = new Uri(lab.Runtime!.Web!.Url), Timeout = TimeSpan.FromSeconds(20) };

    private static string Hkp(TestLab lab) => $"hkp://{lab.Runtime!.Web!.Info.Address}:{lab.Runtime.Web.Info.Port}";

    private static Task<HttpResponseMessage> Upload(HttpClient http, string keytext) =>
        http.PostAsync("/pks/add", new FormUrlEncodedContent([new("keytext", keytext)]));

    [Fact]
    public async Task Gpg_sends_receives_and_searches_keys()
    {
        await using var lab = TestLab.Create().Start();
        await using var bob = new GpgHome("bob");
        await using var alice = new GpgHome("alice");
        string fpr = await bob.MakeKey("Bob <bob@bank.test>");
        var sent = await bob.Run("--keyserver", Hkp(lab), "--send-keys", fpr);
        Assert.True(sent.Code == 0, sent.Err);
        var upload = Assert.Single(lab.Events(TraceKind.KeyServerUpload));
        Assert.Equal("upload", upload.Fields["Source"]);
        Assert.Equal([fpr], (IEnumerable<string>)upload.Fields["Fingerprints"]!);
        Assert.Equal(["Bob <bob@bank.test>"], (IEnumerable<string>)upload.Fields["UserIds"]!);
        Assert.Equal(1, upload.Fields["Added"]);

        var received = await alice.Run("--keyserver", Hkp(lab), "--recv-keys", fpr);
        Assert.True(received.Code == 0, received.Err);
        Assert.Contains("imported: 1", received.Err);
        var listed = await alice.Run("--with-colons", "--list-keys", fpr);
        Assert.Contains("bob@bank.test", listed.Out);
        Assert.Contains(lab.Events(TraceKind.KeyServerLookup), e => (string)e.Fields["Op"]! == "get" && (string)e.Fields["Match"]! == "fingerprint");

        await using var carol = new GpgHome("carol");
        // --batch --search-keys lists what it found without asking which to import.
        var search = await carol.Run("--keyserver", Hkp(lab), "--search-keys", "bob@bank.test");
        Assert.Contains($"Bob <bob@bank.test>", search.Out);
        Assert.Contains($"key {fpr[^16..]}", search.Out);
        Assert.Contains(lab.Events(TraceKind.KeyServerLookup), e => (string)e.Fields["Op"]! == "index" && (string)e.Fields["Match"]! == "text" && (int)e.Fields["Found"]! == 1);
    }

    [Fact]
    public async Task Any_key_is_accepted_so_mallory_can_publish_a_key_named_bob()
    {
        await using var lab = TestLab.Create().Start();
        await using var bob = new GpgHome("bob");
        await using var mallory = new GpgHome("mallory");
        string real = await bob.MakeKey("Bob <bob@bank.test>");
        string fake = await mallory.MakeKey("Bob <bob@bank.test>");
        using var http = Client(lab);
        Assert.Equal(HttpStatusCode.OK, (await Upload(http, await bob.Export(real))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Upload(http, await mallory.Export(fake))).StatusCode);
        var index = await http.GetStringAsync("/pks/lookup?op=index&options=mr&search=BOB@bank.test");
        Assert.StartsWith("info:1:2\n", index);
        Assert.Contains($"pub:{real}:22:", index); // 22: EdDSA (RFC 9580 §9.1)
        Assert.Contains($"pub:{fake}:22:", index);
        Assert.Contains("uid:Bob <bob@bank.test>:", index);
        var get = await http.GetAsync($"/pks/lookup?op=get&options=mr&search=0x{fake[^16..]}");
        Assert.Equal("application/pgp-keys", get.Content.Headers.ContentType!.MediaType);
        string armored = await get.Content.ReadAsStringAsync();
        Assert.StartsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----", armored);
        Assert.DoesNotContain("Version:", armored);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/pks/lookup?op=get&search=carol@uc.test")).StatusCode);
        Assert.Equal(HttpStatusCode.NotImplemented, (await http.GetAsync("/pks/lookup?op=stats&search=x")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/pks/lookup?op=get")).StatusCode);
    }

    [Fact]
    public async Task An_upload_of_a_known_key_merges_new_user_ids_and_a_repeat_changes_nothing()
    {
        await using var lab = TestLab.Create().Start();
        await using var bob = new GpgHome("bob");
        string fpr = await bob.MakeKey("Bob <bob@bank.test>");
        using var http = Client(lab);
        await Upload(http, await bob.Export(fpr));
        await Upload(http, await bob.Export(fpr));
        var added = await bob.Run("--quick-add-uid", fpr, "Bob Home <bob@home.test>");
        Assert.True(added.Code == 0, added.Err);
        await Upload(http, await bob.Export(fpr));
        var uploads = lab.Events(TraceKind.KeyServerUpload);
        Assert.Equal([(1, 0, 0), (0, 0, 1), (0, 1, 0)], uploads.Select(e => ((int)e.Fields["Added"]!, (int)e.Fields["Merged"]!, (int)e.Fields["Unchanged"]!)));
        var index = await http.GetStringAsync($"/pks/lookup?op=index&options=mr&search=0x{fpr}");
        Assert.StartsWith("info:1:1\n", index);
        Assert.Contains("uid:Bob Home <bob@home.test>:", index);
        Assert.Equal([fpr + ".asc"], Directory.GetFiles(Path.Combine(lab.DataDirectory, "keyserver")).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("secret", 400, "SECRET key")]
    [InlineData("garbage", 400, "not a well-formed OpenPGP public key")]
    [InlineData("message", 400, "not an OpenPGP public key")]
    [InlineData("empty", 400, "no keytext")]
    public async Task What_is_not_a_public_key_is_refused_and_nothing_is_stored(string what, int status, string reason)
    {
        await using var lab = TestLab.Create().Start();
        await using var bob = new GpgHome("bob");
        using var http = Client(lab);
        string keytext = what switch
        {
            "secret" => await bob.Export(await bob.MakeKey("Bob <bob@bank.test>"), secret: true),
            "garbage" => "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAAAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n",
            // An encrypted message, not a key.
            "message" => (await bob.Run("--armor", "--passphrase", "x", "--output", "-", "--symmetric", Path.Combine(lab.DataDirectory, "certs", "ca.crt"))).Out,
            _ => "",
        };
        var r = what == "empty"
            ? await http.PostAsync("/pks/add", new FormUrlEncodedContent([new("other", "x")]))
            : await Upload(http, keytext);
        Assert.Equal(status, (int)r.StatusCode);
        Assert.Contains(reason, await r.Content.ReadAsStringAsync());
        var refused = Assert.Single(lab.Events(TraceKind.KeyServerUpload));
        Assert.Equal(status, refused.Fields["Status"]);
        Assert.Contains(reason, (string)refused.Fields["Reason"]!);
        Assert.False(Directory.Exists(Path.Combine(lab.DataDirectory, "keyserver")) && Directory.GetFiles(Path.Combine(lab.DataDirectory, "keyserver")).Length > 0);
    }

    [Fact]
    public async Task A_key_with_a_malformed_subpacket_is_refused_so_it_cannot_break_every_search_for_its_name()
    {
        // Found by afl++ (bench/fuzz/corpus/openpgp-key): a key-expiration subpacket of 3 octets, not 4.
        // BouncyCastle reads subpackets lazily, so the key parsed, was stored, and then every index listing it threw.
        byte[] key = File.ReadAllBytes(Repository.File(Path.Combine("bench", "fuzz", "corpus", "openpgp-key", "afl-bad-key-expiration-subpacket")));
        string armored = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n" + Convert.ToBase64String(key, Base64FormattingOptions.InsertLineBreaks)
            + "\n-----END PGP PUBLIC KEY BLOCK-----\n";
        await using var lab = TestLab.Create().Start();
        using var http = Client(lab);
        var r = await Upload(http, armored);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("malformed", await r.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/pks/lookup?op=index&options=mr&search=seed@uc.test")).StatusCode);
    }

    [Fact]
    public async Task A_raw_body_that_is_not_a_form_is_415()
    {
        await using var lab = TestLab.Create().Start();
        using var http = Client(lab);
        var content = new StringContent("-----BEGIN PGP PUBLIC KEY BLOCK-----");
        content.Headers.ContentType = new MediaTypeHeaderValue("application/pgp-keys");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await http.PostAsync("/pks/add", content)).StatusCode);
    }

    [Fact]
    public async Task The_lab_users_keys_are_seeded_at_start_and_a_restart_adds_nothing_twice()
    {
        await using var bob = new GpgHome("bob");
        string fpr = await bob.MakeKey("Bob <bob@bank.test>");
        string data;
        await using (var lab = TestLab.Create())
        {
            data = lab.DataDirectory;
            Directory.CreateDirectory(Path.Combine(data, "pgp", "public"));
            File.WriteAllText(Path.Combine(data, "pgp", "public", "bob@bank.test.asc"), await bob.Export(fpr));
            File.WriteAllText(Path.Combine(data, "pgp", "public", "broken@bank.test.asc"), "not a key");
            lab.Start();
            var seeded = lab.Events(TraceKind.KeyServerUpload);
            Assert.Contains(seeded, e => (int)e.Fields["Status"]! == 200 && (string)e.Fields["Source"]! == "seed" && (int)e.Fields["Added"]! == 1 && e.Origin == LabOrigin.Host);
            Assert.Contains(seeded, e => (string)e.Fields["Source"]! == "seed" && (int)e.Fields["Status"]! == 400);
            using var http = Client(lab);
            Assert.Contains(fpr, await http.GetStringAsync("/pks/lookup?op=index&options=mr&search=bob@bank.test"));
        }
        await using var again = TestLab.Create(data: data).Start();
        var reseed = Assert.Single(again.Events(TraceKind.KeyServerUpload), e => (int)e.Fields["Status"]! == 200);
        Assert.Equal((0, 1), ((int)reseed.Fields["Added"]!, (int)reseed.Fields["Unchanged"]!));
        Assert.Single(Directory.GetFiles(Path.Combine(data, "keyserver")));
    }
}
