using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using MailLab.Server.Listeners;
using MailLab.Server.Trace;
using MailLab.Tests.Interop;
using MailLab.Tests.Support;

namespace MailLab.Tests.Web;

/// <summary>The lab's HTTP service: its listener, limits, methods, trace, and the CA files it publishes.</summary>
public class WebServiceTests
{
    private static HttpClient Client(TestLab lab) => new() { BaseAddress = new Uri(lab.Runtime!.Web!.Url), Timeout = TimeSpan.FromSeconds(20) };

    [Fact]
    public async Task Runs_beside_the_lab_dns_and_is_named_in_listeners_json()
    {
        await using var lab = TestLab.Create().Start();
        var web = lab.Runtime!.Web!;
        Assert.NotEqual(0, web.Info.Port);
        var listeners = JsonSerializer.Deserialize<List<ListenerInfo>>(File.ReadAllText(lab.Runtime.ListenersFile))!;
        var entry = Assert.Single(listeners, l => l.Role == "WEB");
        Assert.Equal(("lab", "127.0.9.1", web.Info.Port), (entry.Site, entry.Address, entry.Port));
        Assert.Contains(lab.Events(TraceKind.ListenerStarted), e => e.Role == TraceRole.WEB && (int)e.Fields["Port"]! == web.Info.Port);
    }

    [Fact]
    public async Task A_web_port_already_taken_is_a_clear_bind_error_and_the_port_serves_once_free()
    {
        using var squatter = new System.Net.Sockets.TcpListener(IPAddress.Parse("127.0.9.1"), 0);
        squatter.Start();
        int port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var def = MailLab.Server.Lab.LabDefinitionLoader.Parse(TestLab.LabYaml().Replace("web: { port: 0 }", $"web: {{ port: {port} }}"), "clash.yml");
        var tracer = new Tracer(new TraceStream(), null, false);
        var ex = Assert.Throws<ListenerBindException>(() => MailLab.Server.LabRuntime.Start(def, TempDir.New("clash"), tracer));
        Assert.Equal("WEB", ex.Role);
        Assert.Contains($"127.0.9.1:{port}", ex.Message);
        var failed = Assert.Single(tracer.Stream.Query(new TraceQuery(Kind: TraceKind.ListenerFailed)));
        Assert.Equal(TraceRole.WEB, failed.Role);
        // Kestrel let go of nothing it holds: the same lab starts on that port once it is free.
        squatter.Stop();
        await using var lab = TestLab.FromYaml(TestLab.LabYaml().Replace("web: { port: 0 }", $"web: {{ port: {port} }}")).Start();
        Assert.Equal(port, lab.Runtime!.Web!.Info.Port);
    }

    [Fact]
    public async Task Ca_certificate_and_crl_are_read_at_request_time()
    {
        await using var lab = TestLab.Create().Start();
        using var http = Client(lab);
        var ca = await http.GetAsync("/pki/ca.crt");
        Assert.Equal(HttpStatusCode.OK, ca.StatusCode);
        Assert.Equal("application/x-x509-ca-cert", ca.Content.Headers.ContentType!.MediaType);
        Assert.Equal(File.ReadAllText(Path.Combine(lab.DataDirectory, "certs", "ca.crt")), await ca.Content.ReadAsStringAsync());
        // No CRL until the user CA publishes one: 404, then the file as it is now (a revoke while the lab runs).
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/pki/user-ca.crl")).StatusCode);
        byte[] crl = [0x30, 0x03, 0x02, 0x01, 0x01];
        File.WriteAllBytes(Path.Combine(lab.DataDirectory, "certs", "user-ca.crl"), crl);
        var served = await http.GetAsync("/pki/user-ca.crl");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal("application/pkix-crl", served.Content.Headers.ContentType!.MediaType);
        Assert.Equal(crl, await served.Content.ReadAsByteArrayAsync());
        byte[] newer = [0x30, 0x03, 0x02, 0x01, 0x02];
        File.WriteAllBytes(Path.Combine(lab.DataDirectory, "certs", "user-ca.crl"), newer);
        Assert.Equal(newer, await http.GetByteArrayAsync("/pki/user-ca.crl"));
    }

    [Fact]
    public async Task Curl_fetches_the_ca_certificate_and_openssl_reads_it()
    {
        await using var lab = TestLab.Create().Start();
        string file = Path.Combine(TempDir.New("curl"), "ca.crt");
        var curl = await ExternalTool.Run("curl", ["-sS", "-f", "-o", file, "-w", "%{http_code} %{content_type}", lab.Runtime!.Web!.Url + "/pki/ca.crt"]);
        Assert.True(curl.Code == 0, curl.Err);
        Assert.Equal("200 application/x-x509-ca-cert", curl.Out);
        var x509 = await ExternalTool.Run("openssl", ["x509", "-in", file, "-noout", "-subject"]);
        Assert.True(x509.Code == 0, x509.Err);
        Assert.Contains("MailLab", x509.Out);
    }

    [Fact]
    public async Task Only_the_methods_a_route_names_no_server_header_unknown_paths_404_and_every_request_traced()
    {
        await using var lab = TestLab.Create().Start();
        using var http = Client(lab);
        var put = await http.PutAsync("/pki/ca.crt", new StringContent("x"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, put.StatusCode);
        Assert.Contains("GET", put.Content.Headers.Allow);
        var get = await http.GetAsync("/pki/ca.crt");
        Assert.False(get.Headers.Contains("Server"));
        var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/pki/ca.crt"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/pki/")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/pki/../certs/ca.key")).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.GetAsync("/pks/add")).StatusCode);
        var events = lab.Events(TraceKind.WebRequest);
        Assert.Contains(events, e => (string)e.Fields["Method"]! == "PUT" && (int)e.Fields["Status"]! == 405 && (string)e.Fields["Client"]! == "127.0.0.1");
        Assert.Contains(events, e => (string)e.Fields["Method"]! == "GET" && (string)e.Fields["Path"]! == "/pki/ca.crt" && (int)e.Fields["Status"]! == 200);
        Assert.All(events, e => Assert.Equal(TraceRole.WEB, e.Role));
    }

    [Fact]
    public async Task An_upload_over_one_mebibyte_is_413()
    {
        await using var lab = TestLab.Create().Start();
        using var http = Client(lab);
        var big = new ByteArrayContent(new byte[MailLab.Server.Web.LabWebServer.MaxBodyBytes + 1]);
        big.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        var r = await http.PostAsync("/pks/add", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        // Chunked, so Kestrel finds out while reading, not from Content-Length.
        var chunked = new StreamContent(new MemoryStream(System.Text.Encoding.ASCII.GetBytes("keytext=" + new string('A', 1_100_000))));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        var req = new HttpRequestMessage(HttpMethod.Post, "/pks/add") { Content = chunked };
        req.Headers.TransferEncodingChunked = true;
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await http.SendAsync(req)).StatusCode);
    }
}
