using MailLab.Server.Web;
using MailLab.Tests.Interop;
using MailLab.Tests.Support;

namespace MailLab.Tests.Web;

/// <summary>Web Key Directory paths for the lab users' keys, and vindex's certifications.</summary>
public class WebKeyDirectoryTests
{
    [Fact]
    public void Hash_is_z_base_32_of_sha1_of_the_lowercased_local_part()
    {
        // The example of draft-koch-openpgp-webkey-service §3.1: Joe.Doe@Example.ORG.
        Assert.Equal("iy9q119eutrkn8s1mk4r39qejnbu3n5q", WebKeyDirectory.Hash("Joe.Doe"));
        Assert.Equal("", WebKeyDirectory.ZBase32([]));
    }

    [Fact]
    public async Task Curl_fetches_a_lab_users_key_by_the_direct_and_advanced_paths_and_gpg_reads_it()
    {
        await using var bob = new GpgHome("bob");
        string fpr = await bob.MakeKey("Bob <bob@bank.test>");
        await using var lab = TestLab.Create();
        Directory.CreateDirectory(Path.Combine(lab.DataDirectory, "pgp", "public"));
        File.WriteAllText(Path.Combine(lab.DataDirectory, "pgp", "public", "bob@bank.test.asc"), await bob.Export(fpr));
        lab.Start();
        string url = lab.Runtime!.Web!.Url;
        string hash = WebKeyDirectory.Hash("bob");
        string file = Path.Combine(TempDir.New("wkd"), "bob.key");
        var direct = await ExternalTool.Run("curl", ["-sS", "-f", "-o", file, "-w", "%{http_code} %{content_type}", $"{url}/.well-known/openpgpkey/hu/{hash}?l=bob"]);
        Assert.True(direct.Code == 0, direct.Err);
        Assert.Equal("200 application/octet-stream", direct.Out);
        Assert.NotEqual((byte)'-', File.ReadAllBytes(file)[0]); // binary, not armored (§3.1)
        await using var alice = new GpgHome("alice");
        var shown = await alice.Run("--with-colons", "--import-options", "show-only", "--import", file);
        Assert.Contains(fpr, shown.Out);
        var advanced = await ExternalTool.Run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", $"{url}/.well-known/openpgpkey/bank.test/hu/{hash}"]);
        Assert.Equal("200", advanced.Out);
        var other = await ExternalTool.Run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", $"{url}/.well-known/openpgpkey/hu/{WebKeyDirectory.Hash("carol")}"]);
        Assert.Equal("404", other.Out);
        var policy = await ExternalTool.Run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", $"{url}/.well-known/openpgpkey/policy"]);
        Assert.Equal("200", policy.Out);
    }

    [Fact]
    public async Task Vindex_names_who_certified_a_key()
    {
        await using var lab = TestLab.Create().Start();
        await using var alice = new GpgHome("alice");
        await using var carol = new GpgHome("carol");
        string a = await alice.MakeKey("Alice <alice@uc.test>");
        string c = await carol.MakeKey("Carol <carol@uc.test>");
        File.WriteAllText(Path.Combine(alice.Path, "carol.asc"), await carol.Export(c));
        Assert.Equal(0, (await alice.Run("--import", Path.Combine(alice.Path, "carol.asc"))).Code);
        var signed = await alice.Run("--yes", "--quick-sign-key", c);
        Assert.True(signed.Code == 0, signed.Err);
        using var http = new HttpClient { BaseAddress = new Uri(lab.Runtime!.Web!.Url) };
        foreach (string key in new[] { await alice.Export(a), await alice.Export(c) })
        {
            (await http.PostAsync("/pks/add", new FormUrlEncodedContent([new("keytext", key)]))).EnsureSuccessStatusCode();
        }
        string text = await http.GetStringAsync("/pks/lookup?op=vindex&search=carol@uc.test");
        Assert.Contains("uid  Carol <carol@uc.test>", text);
        Assert.Contains($"sig  0x{a[^16..]}", text);
        Assert.Contains("Alice <alice@uc.test>", text);
        Assert.Contains("[selfsig]", text);
        string mr = await http.GetStringAsync("/pks/lookup?op=vindex&options=mr&search=carol@uc.test");
        Assert.Contains($"sig:{a[^16..]}:", mr);
    }
}
