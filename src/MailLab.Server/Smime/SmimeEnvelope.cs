using Org.BouncyCastle.Cms;
using Org.BouncyCastle.Crypto;

namespace MailLab.Server.Smime;

/// <summary>
/// Enveloped-data (RFC 5652 §6) and compressed-data (RFC 3274) as the lab recognises them: for whom the
/// content key is wrapped and with which cipher. The MDA cannot open enveloped-data, which is the point
/// of end-to-end encryption, unless the lab holds the users' private keys (the mda-holds-user-keys switch).
/// </summary>
internal static class SmimeEnvelope
{
    public static SmimeResult Enveloped(CmsEnvelopedData env, SmimeTrust trust, Func<string, AsymmetricKeyParameter?>? userKey,
        List<SmimeStep> steps, Func<byte[], SmimeResult?> inner)
    {
        var cipher = Name(env.EncryptionAlgOid);
        var recipients = new List<string>();
        var transports = new HashSet<string>();
        (RecipientInformation Info, string User)? openable = null;
        foreach (RecipientInformation r in env.GetRecipientInfos().GetRecipients())
        {
            transports.Add(Name(r.KeyEncryptionAlgOid));
            string who;
            if (r.RecipientID is { Issuer: { } issuer, SerialNumber: { } serial })
            {
                var user = trust.UserOf(issuer, serial);
                who = user is null ? $"{issuer} serial {serial.ToString(16).ToUpperInvariant()} (not a lab user's certificate)" : user;
                if (user is not null && openable is null) openable = (r, user);
            }
            else
            {
                who = r.RecipientID?.SubjectKeyIdentifier is { } ski ? $"subject key id {Convert.ToHexStringLower(ski)}" : $"a {r.GetType().Name.Replace("RecipientInformation", "")} recipient";
            }
            recipients.Add(who);
            steps.Add(new("recipients", $"content key wrapped for {who} with {Name(r.KeyEncryptionAlgOid)}", null));
        }
        steps.Add(new("cipher", $"content encrypted with {cipher}", null));
        var transport = string.Join(", ", transports);
        var result = new SmimeResult
        {
            Structure = "enveloped-data", Verdict = "encrypted", Recipients = recipients, KeyTransport = transport, ContentCipher = cipher, Decrypted = false,
            Reason = $"encrypted end to end for {string.Join(", ", recipients)} ({cipher}): the server cannot read it, only the recipients' private keys can",
        };
        if (userKey is null || openable is not { } o || userKey(o.User) is not { } key)
        {
            steps.Add(new("decrypt", userKey is null
                ? "not decrypted: the MDA holds no user's private key (end-to-end encryption: only the recipient can open it)"
                : "not decrypted: no recipient is a lab user whose key the lab holds", null));
            return result with { Steps = steps };
        }
        var plain = o.Info.GetContent(key);
        steps.Add(new("decrypt", $"DECRYPTED by the MDA with {o.User}'s private key ({plain.Length} octets): the mda-holds-user-keys switch gives the server what end-to-end encryption keeps from it", false));
        var opened = inner(plain);
        return result with
        {
            Steps = steps, Verdict = "decrypted", Decrypted = true, Inner = opened,
            InnerStructure = opened is null ? null : $"{opened.Structure}: {opened.Verdict}",
            Reason = $"encrypted for {string.Join(", ", recipients)} ({cipher}), but the MDA holds {o.User}'s key and read it" +
                (opened is null ? "" : $"; inside: {opened.Structure} {opened.Verdict}"),
        };
    }

    public static SmimeResult Compressed(CmsCompressedData compressed, List<SmimeStep> steps, Func<byte[], SmimeResult?> inner)
    {
        var algorithm = compressed.ContentInfo.Content is null ? "unknown" : "zlib";
        var expanded = compressed.GetContent(SmimeVerifier.MaxExpanded);
        steps.Add(new("compression", $"compressed-data ({algorithm}, RFC 3274): {expanded.Length} octets once expanded; compression is S/MIME's fourth service, it protects nothing", null));
        var opened = inner(expanded);
        return new SmimeResult
        {
            Structure = "compressed-data", Verdict = "compressed", Steps = steps, Inner = opened,
            InnerStructure = opened is null ? null : $"{opened.Structure}: {opened.Verdict}",
            Reason = $"compressed only (no signature, no encryption){(opened is null ? "" : $"; inside: {opened.Structure} {opened.Verdict}")}",
        };
    }

    /// <summary>Algorithm names students find in openssl's and RFC 5751/8551's lists.</summary>
    public static string Name(string oid) => oid switch
    {
        "2.16.840.1.101.3.4.1.2" => "aes128-cbc",
        "2.16.840.1.101.3.4.1.22" => "aes192-cbc",
        "2.16.840.1.101.3.4.1.42" => "aes256-cbc",
        "2.16.840.1.101.3.4.1.6" => "aes128-gcm",
        "2.16.840.1.101.3.4.1.46" => "aes256-gcm",
        "1.2.840.113549.3.7" => "des-ede3-cbc",
        "1.2.840.113549.3.2" => "rc2-cbc",
        "1.2.840.113549.1.1.1" => "rsaEncryption (PKCS #1 v1.5)",
        "1.2.840.113549.1.1.7" => "RSAES-OAEP",
        _ => oid,
    };
}
