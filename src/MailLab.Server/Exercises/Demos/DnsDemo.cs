using System.Net;
using DnsClient;
using DnsClient.Protocol;
using MailLab.Server.Dns;

namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// Exercise 8: the DNS records mail depends on, asked like dig does: MX, the SPF and DMARC TXT
/// records, the PTR of the MX's address, a name that does not exist, and a query over TCP.
/// </summary>
internal sealed class DnsDemo : IExerciseDemo
{
    public int Number => 8;

    public async Task RunAsync(DemoContext ctx, CancellationToken ct)
    {
        string bank = ctx.Domain("bank");
        var dns = ctx.Dns;
        ctx.Out.WriteLine($"   (asking the lab DNS at {dns}, like: dig @{dns.Address} -p {dns.Port} ...)");

        ctx.Step($"Where does mail for {bank} go? (dig mx {bank})");
        var mx = await AskAsync(ctx, bank, QueryType.MX, ct);
        string host = mx.Answers.MxRecords().FirstOrDefault()?.Exchange.Value.TrimEnd('.')
            ?? throw new DemoException($"{bank} has no MX record");

        ctx.Step($"The MX host's address (dig a {host})");
        var a = await AskAsync(ctx, host, QueryType.A, ct);
        var address = a.Answers.ARecords().FirstOrDefault()?.Address ?? throw new DemoException($"{host} has no A record");

        ctx.Step($"SPF: who may send as {bank}? (nslookup -type=txt {bank})");
        await AskAsync(ctx, bank, QueryType.TXT, ct);

        ctx.Step($"DMARC: what {bank} asks receivers to do (dig txt _dmarc.{bank})");
        await AskAsync(ctx, "_dmarc." + bank, QueryType.TXT, ct);

        ctx.Step($"Reverse DNS of {address} (dig -x {address})");
        await AskAsync(ctx, address.GetArpaName(), QueryType.PTR, ct);

        ctx.Step($"A name that does not exist: NXDOMAIN with the zone's SOA (dig a nosuchhost.{bank})");
        await AskAsync(ctx, "nosuchhost." + bank, QueryType.A, ct);

        ctx.Step($"The same MX question over TCP (dig +tcp mx {ctx.Domain("uc")})");
        await AskAsync(ctx, ctx.Domain("uc"), QueryType.MX, ct, tcp: true);
    }

    internal static async Task<IDnsQueryResponse> AskAsync(DemoContext ctx, string name, QueryType type, CancellationToken ct, bool tcp = false)
    {
        var client = DigClient.Create(ctx.Dns, tcp, retries: 1, timeout: TimeSpan.FromSeconds(5));
        IDnsQueryResponse r;
        try
        {
            r = await client.QueryAsync(name, type, QueryClass.IN, ct);
        }
        catch (DnsResponseException e)
        {
            throw new DemoException($"the lab DNS at {ctx.Dns} did not answer: {e.Message}");
        }
        ctx.Out.WriteLine($";; {name} {type} over {(tcp ? "tcp" : "udp")}: status {r.Header.ResponseCode}, {r.Answers.Count} answer(s)");
        foreach (DnsResourceRecord rec in r.Answers.Concat(r.Authorities))
        {
            ctx.Out.WriteLine("   " + rec);
        }
        return r;
    }
}
