using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MailLab.Protocols.Dns;
using MailLab.Protocols.Dns.Dnssec;

namespace MailLab.Tests.Dns.Dnssec;

/// <summary>
/// A tiny authoritative DNS over real UDP on 127.0.0.1 (port 0) answering from a fixed list of records:
/// the RRset asked for with its RRSIGs, else NODATA with the NSECs at the name and their RRSIGs. It stands
/// in for the signed lab DNS so the resolver is tested over the wire against RRsets signed in the test;
/// it records whether each query carried the DO bit.
/// </summary>
internal sealed class SignedTestDns : IAsyncDisposable
{
    private readonly UdpClient udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public SignedTestDns(IEnumerable<DnsRecord> records)
    {
        Records = records.ToList();
        loop = Task.Run(ServeAsync);
    }

    public List<DnsRecord> Records { get; }

    /// <summary>Records a forger adds to every answer of their type, whatever the question's name.</summary>
    public List<DnsRecord> Extra { get; } = [];

    public IPEndPoint EndPoint => (IPEndPoint)udp.Client.LocalEndPoint!;

    /// <summary>Every question asked: name, type and whether the DO bit was set.</summary>
    public ConcurrentQueue<(string Name, DnsType Type, bool Do)> Questions { get; } = new();

    private async Task ServeAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            UdpReceiveResult got;
            try
            {
                got = await udp.ReceiveAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var q = DnsWire.ParseQuery(got.Buffer, out ushort id, out _);
            if (q is null) continue;
            // The OPT record is the query's last one: its TTL's flags half carries DO (RFC 3225 §3).
            bool doBit = q.EdnsUdpSize is not null && (got.Buffer[^4] & 0x80) != 0;
            var type = (DnsType)q.QType;
            Questions.Enqueue((q.Name, type, doBit));
            var answers = Records.Where(r => r.Name == q.Name && (r.Type == type || r.Data is RrsigData s && s.TypeCovered == type)).ToList();
            // A CNAME at the name answers instead, followed by its target's records (RFC 1034 §3.6.2), as the lab DNS does.
            for (string owner = q.Name; answers.Count == 0 && Records.FirstOrDefault(r => r.Name == owner && r.Type == DnsType.CNAME) is { Data: NameData cname };)
            {
                answers.AddRange(Records.Where(r => r.Name == owner && (r.Type == DnsType.CNAME || r.Data is RrsigData { TypeCovered: DnsType.CNAME })));
                owner = cname.Target;
                answers.AddRange(Records.Where(r => r.Name == owner && (r.Type == type || r.Data is RrsigData s && s.TypeCovered == type)));
                if (!answers.Any(r => r.Type == type)) break;
            }
            answers.AddRange(Extra.Where(r => r.Type == type));
            var authority = new List<DnsRecord>();
            if (!answers.Any(r => r.Type is var t && (t == type || t == DnsType.CNAME)))
            {
                answers.Clear();
                authority.AddRange(Records.Where(r => r.Name == q.Name && (r.Type == DnsType.NSEC || r.Data is RrsigData { TypeCovered: DnsType.NSEC })));
                // The zone's SOA, so the negative answer may be cached (RFC 2308 §5).
                if (Records.Where(r => r.Type == DnsType.SOA && DnsNames.IsAtOrBelow(q.Name, r.Name)).MaxBy(r => r.Name.Length) is { } soa) authority.Add(soa);
            }
            if (!doBit)
            {
                answers.RemoveAll(r => r.Type is DnsType.RRSIG);
                authority.RemoveAll(r => r.Type is DnsType.RRSIG or DnsType.NSEC);
            }
            byte[] reply = DnsWire.WriteResponse(q, id, DnsRcode.NoError, true, answers, authority, 65535, out _);
            await udp.SendAsync(reply, got.RemoteEndPoint);
        }
    }

    public static IEnumerable<DnsRecord> Flatten(params SignedRRset[] sets) =>
        sets.SelectMany(s => s.Records.Concat(s.Signatures.Select(sig => new DnsRecord(s.Owner, DnsType.RRSIG, s.Records[0].Ttl, sig))));

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        udp.Dispose();
        try
        {
            await loop;
        }
        catch (ObjectDisposedException)
        {
        }
        stop.Dispose();
    }
}
