using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using MailLab.Protocols.Dns;
using MailLab.Server.Dns;
using MailLab.Tests.Support;

namespace MailLab.Tests.Dashboard;

/// <summary>What the DNS page tests share: the antiforgery token of a page, a PUT with it, questions to the lab DNS.</summary>
public static partial class DnsKit
{
    [GeneratedRegex("name=\"__antiforgery\" value=\"([^\"]+)\"")]
    private static partial Regex Token();

    /// <summary>The antiforgery token of a page's form (its cookie stays in the client).</summary>
    public static async Task<string> PageToken(HttpClient http, string path)
    {
        var page = await http.GetStringAsync(path);
        var m = Token().Match(page);
        Assert.True(m.Success, $"{path} has no form with an antiforgery token");
        return WebUtility.HtmlDecode(m.Groups[1].Value);
    }

    /// <summary>PUTs zone text to <c>/api/zones/{origin}</c> as text/plain, with the token in the header when given.</summary>
    public static Task<HttpResponseMessage> Put(HttpClient http, string origin, string text, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, "/api/zones/" + origin) { Content = new StringContent(text, Encoding.UTF8, "text/plain") };
        if (token is not null) request.Headers.Add("RequestVerificationToken", token);
        return DashboardKit.Oversized(http, request); // 100-continue: a zone over the limit is refused before its body is sent
    }

    /// <summary>
    /// Asks the lab DNS over the wire, as a student's dig would: from 127.0.0.1, or from <paramref name="from"/>
    /// (another loopback address: Linux routes all of 127/8 to lo, so a second "machine" needs no network).
    /// </summary>
    public static async Task<DnsResponse> Ask(TestLab lab, string name, DnsType type, IPAddress? from = null)
    {
        var r = await new DnsTransport(lab.Runtime!.Dns!.EndPoint, from).QueryAsync(name, type);
        Assert.True(r.Ok, r.Reason);
        return r.Response!;
    }

    /// <summary>The SOA serial the lab DNS serves for <paramref name="zone"/>.</summary>
    public static async Task<uint> Serial(TestLab lab, string zone) => (await Ask(lab, zone, DnsType.SOA)).AnswerData<SoaData>(DnsType.SOA).Single().Serial;

    /// <summary>The zone file as the lab DNS reads it.</summary>
    public static string ZoneFile(TestLab lab, string origin) => Path.Combine(lab.DataDirectory, "zones", origin + ".zone");
}
