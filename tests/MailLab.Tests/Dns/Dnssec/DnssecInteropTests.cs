using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MailLab.Protocols.Dns.Dnssec;
using MailLab.Server.Dns;
using MailLab.Tests.Interop;
using MailLab.Tests.Support;

namespace MailLab.Tests.Dns.Dnssec;

/// <summary>
/// The signed lab zones against real validators: BIND's delv and a private Unbound with the lab's trust
/// anchor (Debian bind9-dnsutils, unbound), and ldns-verify-zone (ldnsutils) on every exported zone.
/// </summary>
public class DnssecInteropTests
{
    private static Task<(int Code, string Out, string Err)> Delv(DnsTestServer dns, params string[] args) =>
        ExternalTool.Run("delv", [$"@{dns.EndPoint.Address}", "-p", dns.EndPoint.Port.ToString(), "-a", dns.Signer!.BindAnchorFile, "+root=test", .. args]);

    [Theory]
    [InlineData(DnssecAlgorithm.EcdsaP256Sha256)]
    [InlineData(DnssecAlgorithm.RsaSha256)]
    public async Task Delv_fully_validates_a_mx_txt_and_nxdomain(byte algorithm)
    {
        await using var dns = DnsTestServer.Start(dnssecAlgorithm: algorithm);
        foreach (var (type, name) in new[] { ("a", "mx.bank.test"), ("mx", "bank.test"), ("txt", "uc.test"), ("a", "ghost.evil.test"), ("a", "alias.extra.test") })
        {
            var (code, output, err) = await Delv(dns, type, name);
            Assert.True(code == 0, $"{type} {name}: {output}{err}");
            Assert.Contains("fully validated", output); // "; negative response, fully validated" for NXDOMAIN
            if (name.StartsWith("ghost", StringComparison.Ordinal)) Assert.Contains("NXDOMAIN", output + err);
        }
    }

    [Theory]
    [InlineData(ZoneSigning.ExpiredRrsig)]
    [InlineData(ZoneSigning.BadDs)]
    public async Task Delv_fails_a_broken_zone_and_validates_it_again_after_repair(string mode)
    {
        await using var dns = DnsTestServer.Start(dnssecAlgorithm: DnssecAlgorithm.EcdsaP256Sha256);
        Assert.Contains("; fully validated", (await Delv(dns, "mx", "bank.test")).Out);
        Assert.True(ZoneSigner.SetBroken(dns.Signer!.Directory, "bank.test", mode, out _));
        dns.Zones.Refresh();
        var broken = await Delv(dns, "mx", "bank.test");
        Assert.DoesNotContain("; fully validated", broken.Out);
        Assert.Contains("resolution failed", broken.Out + broken.Err);
        Assert.Contains("; fully validated", (await Delv(dns, "mx", "uc.test")).Out); // the others are untouched
        Assert.True(ZoneSigner.SetBroken(dns.Signer.Directory, "bank.test", null, out _));
        dns.Zones.Refresh();
        Assert.Contains("; fully validated", (await Delv(dns, "mx", "bank.test")).Out);
    }

    [Fact]
    public async Task Unbound_sets_ad_for_lab_answers_and_servfails_the_broken_ones()
    {
        await using var dns = DnsTestServer.Start(dnssecAlgorithm: DnssecAlgorithm.EcdsaP256Sha256, unsignedZones: ["evil.test"]);
        await using var unbound = await PrivateUnbound.Start(dns.EndPoint, dns.Signer!.DsAnchorFile);
        var mx = await unbound.Dig("mx", "bank.test");
        Assert.True(mx.Contains("status: NOERROR", StringComparison.Ordinal), mx + unbound.Log);
        Assert.Matches(@"flags: qr rd ra ad;", mx);
        var nx = await unbound.Dig("a", "ghost.uc.test");
        Assert.Contains("status: NXDOMAIN", nx);
        Assert.Matches(@"flags: qr rd ra ad;", nx);
        var insecure = await unbound.Dig("mx", "evil.test"); // unsigned: an answer, without AD
        Assert.Contains("status: NOERROR", insecure);
        Assert.Matches(@"flags: qr rd ra;", insecure);
        Assert.True(ZoneSigner.SetBroken(dns.Signer.Directory, "uc.test", ZoneSigning.ExpiredRrsig, out _));
        // Zones Unbound has not asked about yet: it caches keys it validated, as a real resolver does.
        Assert.True(ZoneSigner.SetBroken(dns.Signer.Directory, "extra.test", ZoneSigning.BadDs, out _));
        dns.Zones.Refresh();
        Assert.Contains("status: SERVFAIL", await unbound.Dig("txt", "uc.test"));
        Assert.Contains("status: SERVFAIL", await unbound.Dig("a", "primary.extra.test"));
    }

    [Theory]
    [InlineData(DnssecAlgorithm.EcdsaP256Sha256)]
    [InlineData(DnssecAlgorithm.RsaSha256)]
    public async Task Ldns_verify_zone_accepts_every_signed_zone(byte algorithm)
    {
        await using var dns = DnsTestServer.Start(dnssecAlgorithm: algorithm);
        foreach (var zone in new[] { "test", "bank.test", "uc.test", "evil.test", "extra.test" })
        {
            var (code, output, err) = await ExternalTool.Run("ldns-verify-zone", [dns.Signer!.SignedFile(zone)]);
            Assert.True(code == 0, $"{zone}: {output}{err}");
        }
    }

    /// <summary>Unbound on a free loopback port with a config of its own (no system config, no port 53, no chroot).</summary>
    private sealed class PrivateUnbound : IAsyncDisposable
    {
        private readonly Process process;
        private readonly int port;
        private readonly System.Text.StringBuilder log = new();

        public string Log { get { lock (log) return log.ToString(); } }

        private PrivateUnbound(Process process, int port) => (this.process, this.port) = (process, port);

        public static async Task<PrivateUnbound> Start(IPEndPoint lab, string anchorFile)
        {
            string dir = TempDir.New("unbound");
            int port = FreePort();
            string conf = Path.Combine(dir, "unbound.conf");
            File.WriteAllText(conf, $"""
                server:
                    interface: 127.0.0.1
                    port: {port}
                    do-ip6: no
                    access-control: 127.0.0.0/8 allow
                    username: ""
                    chroot: ""
                    pidfile: ""
                    directory: "{dir}"
                    use-syslog: no
                    logfile: ""
                    verbosity: 1
                    do-not-query-localhost: no
                    module-config: "validator iterator"
                    trust-anchor-file: "{anchorFile}"
                    qname-minimisation: no
                    val-log-level: 2
                    # Unbound answers test. itself by default (RFC 6761 §6.2 special-use name); ask the lab instead.
                    local-zone: "test." nodefault
                remote-control:
                    control-enable: no
                stub-zone:
                    name: "test."
                    stub-addr: {lab.Address}@{lab.Port}
                """);
            var psi = new ProcessStartInfo("unbound") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "-d", "-c", conf }) psi.ArgumentList.Add(a);
            var p = Process.Start(psi)!;
            var u = new PrivateUnbound(p, port);
            p.OutputDataReceived += (_, e) => { lock (u.log) u.log.AppendLine(e.Data); };
            p.ErrorDataReceived += (_, e) => { lock (u.log) u.log.AppendLine(e.Data); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            // Ready when it answers (polled with a deadline, not a fixed sleep).
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                Assert.False(p.HasExited, $"unbound exited with {(p.HasExited ? p.ExitCode : 0)}");
                var probe = await ExternalTool.Run("dig", ["@127.0.0.1", "-p", port.ToString(), "+time=1", "+tries=1", "soa", "test"]);
                if (probe.Out.Contains("status:", StringComparison.Ordinal)) return u;
                Assert.True(DateTime.UtcNow < deadline, "unbound did not answer within 20 s");
            }
        }

        public async Task<string> Dig(string type, string name)
        {
            var (code, output, err) = await ExternalTool.Run("dig", ["@127.0.0.1", "-p", port.ToString(), "+dnssec", "+time=5", "+tries=1", type, name]);
            Assert.True(code == 0, output + err);
            return output;
        }

        private static int FreePort()
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return ((IPEndPoint)s.LocalEndPoint!).Port;
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited) process.Kill();
            await process.WaitForExitAsync();
            process.Dispose();
        }
    }
}
