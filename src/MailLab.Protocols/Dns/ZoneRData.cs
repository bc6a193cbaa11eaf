using System.Net.Sockets;

namespace MailLab.Protocols.Dns;

/// <summary>Reads the data part of one record of a zone file, by type.</summary>
internal static class ZoneRData
{
    private static readonly Dictionary<DnsType, string> Shapes = new()
    {
        [DnsType.A] = "an IPv4 address",
        [DnsType.AAAA] = "an IPv6 address",
        [DnsType.NS] = "a name server name",
        [DnsType.CNAME] = "a target name",
        [DnsType.PTR] = "a target name",
        [DnsType.MX] = "preference and exchange (MX 10 mx.uc.test.)",
        [DnsType.SOA] = "mname rname serial refresh retry expire minimum",
        [DnsType.SRV] = "priority weight port target",
        [DnsType.TLSA] = "usage selector matching-type and hex data",
        [DnsType.TXT] = "one or more strings",
        [DnsType.OPENPGPKEY] = "a base64 OpenPGP public key",
        [DnsType.DNSKEY] = "flags protocol algorithm and a base64 key",
        [DnsType.DS] = "key-tag algorithm digest-type and a hex digest",
        [DnsType.RRSIG] = "type algorithm labels ttl expiration inception key-tag signer and a base64 signature",
        [DnsType.NSEC] = "the next name and the types present",
    };

    // Types whose data has at least this many values (the last one may be split by blanks).
    private static readonly Dictionary<DnsType, int> MinCounts = new()
    {
        [DnsType.TLSA] = 4, [DnsType.DNSKEY] = 4, [DnsType.DS] = 4, [DnsType.RRSIG] = 9, [DnsType.NSEC] = 1,
    };

    private static readonly Dictionary<DnsType, int> Counts = new()
    {
        [DnsType.A] = 1, [DnsType.AAAA] = 1, [DnsType.NS] = 1, [DnsType.CNAME] = 1, [DnsType.PTR] = 1,
        [DnsType.MX] = 2, [DnsType.SOA] = 7, [DnsType.SRV] = 4,
    };

    public static DnsRData? Parse(DnsType type, ZoneToken typeToken, List<ZoneToken> d, string origin, Action<ZoneToken, string> error)
    {
        int need = Counts.GetValueOrDefault(type, MinCounts.GetValueOrDefault(type, 1));
        bool exact = Counts.ContainsKey(type);
        if (d.Count < need || (exact && d.Count > need))
        {
            var at = d.Count > need ? d[need] : d.Count > 0 ? d[^1] : typeToken;
            error(at, $"{type} needs {Shapes.GetValueOrDefault(type, "its data")}: {need} value{(need == 1 ? "" : "s")}{(exact ? "" : " or more")}, found {d.Count}");
            return null;
        }
        if (type != DnsType.TXT && d.FirstOrDefault(t => t.Quoted) is { } quoted)
        {
            error(quoted, $"quotes are only for TXT strings, not {type} data");
            return null;
        }
        switch (type)
        {
            case DnsType.A:
                return ZoneFileParser.Address(d[0], AddressFamily.InterNetwork, error) is { } a ? new AddressData(a) : null;
            case DnsType.AAAA:
                return ZoneFileParser.Address(d[0], AddressFamily.InterNetworkV6, error) is { } a6 ? new AddressData(a6) : null;
            case DnsType.NS or DnsType.CNAME or DnsType.PTR:
                return ZoneFileParser.Name(d[0], origin, error) is { } n ? new NameData(n) : null;
            case DnsType.MX:
            {
                var pref = ZoneFileParser.Number(d[0], ushort.MaxValue, "MX preference", error);
                var exchange = ZoneFileParser.Name(d[1], origin, error);
                return pref is null || exchange is null ? null : new MxData((ushort)pref, exchange);
            }
            case DnsType.SOA:
            {
                var mname = ZoneFileParser.Name(d[0], origin, error);
                var rname = ZoneFileParser.Name(d[1], origin, error);
                var serial = ZoneFileParser.Number(d[2], uint.MaxValue, "SOA serial", error);
                var times = d.Skip(3).Select(t => ZoneFileParser.Ttl(t, error)).ToList();
                if (mname is null || rname is null || serial is null || times.Any(x => x is null)) return null;
                return new SoaData(mname, rname, serial.Value, times[0]!.Value, times[1]!.Value, times[2]!.Value, times[3]!.Value);
            }
            case DnsType.SRV:
            {
                var prio = ZoneFileParser.Number(d[0], ushort.MaxValue, "SRV priority", error);
                var weight = ZoneFileParser.Number(d[1], ushort.MaxValue, "SRV weight", error);
                var port = ZoneFileParser.Number(d[2], ushort.MaxValue, "SRV port", error);
                var target = ZoneFileParser.Name(d[3], origin, error);
                return prio is null || weight is null || port is null || target is null
                    ? null : new SrvData((ushort)prio, (ushort)weight, (ushort)port, target);
            }
            case DnsType.TLSA:
            {
                var usage = ZoneFileParser.Number(d[0], 255, "TLSA usage", error);
                var selector = ZoneFileParser.Number(d[1], 255, "TLSA selector", error);
                var matching = ZoneFileParser.Number(d[2], 255, "TLSA matching type", error);
                // RFC 6698 §2.2: the association data may be split by blanks.
                string hex = string.Concat(d.Skip(3).Select(t => t.Text));
                byte[]? data = null;
                if (hex.Length % 2 == 0 && hex.All(char.IsAsciiHexDigit))
                {
                    data = Convert.FromHexString(hex);
                }
                else
                {
                    error(d[3], "TLSA data must be hexadecimal digits (an even number of them)");
                }
                return usage is null || selector is null || matching is null || data is null
                    ? null : new TlsaData((byte)usage, (byte)selector, (byte)matching, data);
            }
            case DnsType.OPENPGPKEY:
            {
                // RFC 7929 §2.3: base64 (RFC 4648 §4), which may be split by blanks.
                string text = string.Concat(d.Select(t => t.Text));
                var key = new byte[text.Length];
                if (!Convert.TryFromBase64String(text, key, out int written) || written == 0)
                {
                    error(d[0], "OPENPGPKEY data must be base64 (the binary public key, e.g. gpg --export | base64 -w0)");
                    return null;
                }
                return new OpenPgpKeyData(key[..written]);
            }
            case DnsType.DNSKEY or DnsType.DS or DnsType.RRSIG or DnsType.NSEC:
                return ZoneDnssecRData.Parse(type, d, origin, error);
            default:
                return Txt(d, error);
        }
    }

    /// <summary>Each word is a character-string; one longer than 255 octets is split (RFC 1035 §3.3.14).</summary>
    private static TxtData? Txt(List<ZoneToken> d, Action<ZoneToken, string> error)
    {
        var strings = new List<byte[]>();
        foreach (var t in d)
        {
            byte[]? bytes = ZoneTokenizer.DecodeString(t.Text, out int badAt);
            if (bytes is null)
            {
                error(t with { Column = t.Column + badAt + (t.Quoted ? 1 : 0) },
                    $"escape '{t.Text.Substring(badAt, 4)}' is not an octet: \\DDD must be 000 to 255");
                return null;
            }
            strings.AddRange(DnsNames.SplitCharacterStrings(bytes));
        }
        return new TxtData(strings);
    }
}
