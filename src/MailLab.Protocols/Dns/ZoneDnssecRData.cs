namespace MailLab.Protocols.Dns;

/// <summary>
/// Reads DNSKEY, DS, RRSIG and NSEC data from a zone file (RFC 4034 §2.2, §3.2, §4.2, §5.3), so a DS for a
/// delegation can be written by hand and a signed zone the lab exported reads back.
/// </summary>
internal static class ZoneDnssecRData
{
    public static DnsRData? Parse(DnsType type, List<ZoneToken> d, string origin, Action<ZoneToken, string> error)
    {
        switch (type)
        {
            case DnsType.DNSKEY:
            {
                var flags = ZoneFileParser.Number(d[0], ushort.MaxValue, "DNSKEY flags", error);
                var protocol = ZoneFileParser.Number(d[1], 255, "DNSKEY protocol", error);
                var algorithm = ZoneFileParser.Number(d[2], 255, "DNSKEY algorithm", error);
                var key = Base64(d, 3, "DNSKEY public key", error);
                return flags is null || protocol is null || algorithm is null || key is null
                    ? null : new DnskeyData((ushort)flags, (byte)protocol, (byte)algorithm, key);
            }
            case DnsType.DS:
            {
                var tag = ZoneFileParser.Number(d[0], ushort.MaxValue, "DS key tag", error);
                var algorithm = ZoneFileParser.Number(d[1], 255, "DS algorithm", error);
                var digestType = ZoneFileParser.Number(d[2], 255, "DS digest type", error);
                // RFC 4034 §5.3: the digest is hexadecimal and may be split by blanks.
                string hex = string.Concat(d.Skip(3).Select(t => t.Text));
                byte[]? digest = null;
                if (hex.Length % 2 == 0 && hex.All(char.IsAsciiHexDigit)) digest = Convert.FromHexString(hex);
                else error(d[3], "DS digest must be hexadecimal digits (an even number of them)");
                return tag is null || algorithm is null || digestType is null || digest is null
                    ? null : new DsData((ushort)tag, (byte)algorithm, (byte)digestType, digest);
            }
            case DnsType.RRSIG:
            {
                var covered = DnssecText.ParseType(d[0].Text);
                if (covered is null) error(d[0], $"'{d[0].Shown}' is not a record type");
                var algorithm = ZoneFileParser.Number(d[1], 255, "RRSIG algorithm", error);
                var labels = ZoneFileParser.Number(d[2], 255, "RRSIG labels", error);
                var ttl = ZoneFileParser.Number(d[3], uint.MaxValue, "RRSIG original TTL", error);
                var expiration = Time(d[4], error);
                var inception = Time(d[5], error);
                var tag = ZoneFileParser.Number(d[6], ushort.MaxValue, "RRSIG key tag", error);
                var signer = ZoneFileParser.Name(d[7], origin, error);
                var signature = Base64(d, 8, "RRSIG signature", error);
                return covered is null || algorithm is null || labels is null || ttl is null || expiration is null || inception is null
                    || tag is null || signer is null || signature is null
                    ? null : new RrsigData(covered.Value, (byte)algorithm, (byte)labels, ttl.Value, expiration.Value, inception.Value,
                        (ushort)tag, signer, signature);
            }
            default:
            {
                var next = ZoneFileParser.Name(d[0], origin, error);
                var types = new List<DnsType>();
                foreach (var t in d.Skip(1))
                {
                    if (DnssecText.ParseType(t.Text) is { } ty) types.Add(ty);
                    else error(t, $"'{t.Shown}' is not a record type");
                }
                return next is null || types.Count != d.Count - 1 ? null : new NsecData(next, types.Distinct().Order().ToList());
            }
        }
    }

    private static uint? Time(ZoneToken t, Action<ZoneToken, string> error)
    {
        var v = DnssecText.ParseTime(t.Text);
        if (v is null) error(t, "a signature time is YYYYMMDDHHmmSS (UTC) or seconds since 1970 (RFC 4034 §3.2)");
        return v;
    }

    private static byte[]? Base64(List<ZoneToken> d, int from, string what, Action<ZoneToken, string> error)
    {
        string text = string.Concat(d.Skip(from).Select(t => t.Text));
        var bytes = new byte[text.Length];
        if (Convert.TryFromBase64String(text, bytes, out int written) && written > 0) return bytes[..written];
        error(d[from], $"{what} must be base64");
        return null;
    }
}
