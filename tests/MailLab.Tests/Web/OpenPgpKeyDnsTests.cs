using MailLab.Protocols.Dns;
using MailLab.Server.Dns;
using MailLab.Tests.Interop;
using MailLab.Tests.Support;

namespace MailLab.Tests.Web;

/// <summary>OPENPGPKEY (RFC 7929): the record type, and the lab users' keys in the lab DNS, read with dig.</summary>
public class OpenPgpKeyDnsTests
{
    [Fact]
    public void Owner_name_is_the_rfc_7929_example()
    {
        // RFC 7929 §3: hugh@example.com.
        Assert.Equal("c93f1e400f26708f98cb19d936620da35eec8f72e57f9eec01c1afd6._openpgpkey.example.com", OpenPgpKeyRecords.OwnerName("hugh@example.com"));
    }

    [Fact]
    public void Zone_file_base64_split_by_blanks_and_parentheses_round_trips_through_the_wire()
    {
        byte[] key = Enumerable.Range(0, 700).Select(i => (byte)i).ToArray();
        string b64 = Convert.ToBase64String(key);
        string zone = $"$ORIGIN x.test.\n@ 300 IN SOA ns hostmaster 1 2 3 4 5\nk._openpgpkey 60 IN OPENPGPKEY ( {b64[..100]}\n  {b64[100..]} )\nbad 60 IN OPENPGPKEY !!notbase64\n";
        var parsed = ZoneFileParser.Parse(zone, "x.test.zone", "x.test");
        var record = Assert.Single(parsed.Records, r => r.Type == DnsType.OPENPGPKEY);
        Assert.Equal(key, ((OpenPgpKeyData)record.Data).Key);
        Assert.Contains(parsed.Errors, e => e.Problem.Contains("OPENPGPKEY data must be base64"));
        Assert.Equal($"k._openpgpkey.x.test. 60 IN OPENPGPKEY {b64}", record.ToString());
    }

    [Fact]
    public async Task The_lab_dns_publishes_each_users_key_once_and_dig_gets_it_over_tcp_after_truncation()
    {
        await using var bob = new GpgHome("bob");
        // RSA 3072: a key too large for a 512-octet UDP answer, so the TC bit and TCP are part of the lesson.
        var made = await bob.Run("--quick-gen-key", "Bob <bob@bank.test>", "rsa3072", "sign", "never");
        Assert.True(made.Code == 0, made.Err);
        string armored = await bob.Export("bob@bank.test");
        byte[] binary = Convert.FromBase64String((await bob.Run("--export", "--armor", "bob@bank.test")).Out
            .Split('\n').SkipWhile(l => l.Length > 0).Skip(1).TakeWhile(l => !l.StartsWith('=') && !l.StartsWith('-')).Aggregate("", (a, l) => a + l.Trim()));
        string data;
        string owner = OpenPgpKeyRecords.OwnerName("bob@bank.test");
        await using (var lab = TestLab.Create())
        {
            data = lab.DataDirectory;
            Directory.CreateDirectory(Path.Combine(data, "pgp", "public"));
            File.WriteAllText(Path.Combine(data, "pgp", "public", "bob@bank.test.asc"), armored);
            lab.Start();
            var dns = lab.Runtime!.Dns!.EndPoint;
            string[] at = [$"@{dns.Address}", "-p", dns.Port.ToString(), owner, "OPENPGPKEY", "+norecurse", "+time=3", "+tries=1"];
            var udp = await ExternalTool.Run("dig", [.. at, "+ignore", "+noedns"]);
            Assert.Matches("flags: qr aa tc;", udp.Out);
            // An RSA 3072 key (about 900 octets) fits an EDNS answer of 1232 but not the 512 of plain DNS.
            var retried = await ExternalTool.Run("dig", [.. at, "+noedns"]);
            Assert.Contains("Truncated, retrying in TCP mode", retried.Out);
            var tcp = await ExternalTool.Run("dig", [.. at, "+tcp", "+short"]);
            Assert.True(tcp.Code == 0, tcp.Err);
            Assert.Equal(binary, Convert.FromBase64String(string.Concat(tcp.Out.Where(c => !char.IsWhiteSpace(c)))));
            // The lookup API the verifier uses.
            var resolver = new LabResolver(dns);
            var keys = await resolver.OpenPgpKeysAsync("bob@bank.test");
            Assert.Equal(binary, Assert.Single(keys.Values));
            Assert.True((await resolver.OpenPgpKeysAsync("carol@uc.test")).NxDomain);
        }
        // A restart does not publish the same key again.
        await using var again = TestLab.Create(data: data).Start();
        string zone = File.ReadAllText(Path.Combine(data, "zones", "bank.test.zone"));
        Assert.Equal(1, zone.Split(owner + ". ").Length - 1);
    }
}
