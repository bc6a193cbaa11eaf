namespace MailLab.Protocols.Sasl;

/// <summary>The PLAIN mechanism (RFC 4616): base64 of authzid NUL authcid NUL passwd.</summary>
public static class SaslPlain
{
    /// <summary>Mechanism name as advertised in EHLO.</summary>
    public const string Name = "PLAIN";

    /// <summary>
    /// Decodes a PLAIN response. False on bad base64, invalid UTF-8, a part count other than three,
    /// or an empty authcid or password (RFC 4616 §2: both are 1*SAFE). authzid may be empty.
    /// </summary>
    public static bool TryParse(string base64, out string authzid, out string authcid, out string password)
    {
        authzid = authcid = password = string.Empty;
        if (base64 is null || !SaslBase64.TryDecodeUtf8(base64, out string text))
            return false;
        string[] parts = text.Split('\0');
        if (parts.Length != 3 || parts[1].Length == 0 || parts[2].Length == 0)
            return false;
        (authzid, authcid, password) = (parts[0], parts[1], parts[2]);
        return true;
    }

    /// <summary>Builds a PLAIN response (for the outbound client and for tests).</summary>
    public static string Encode(string authzid, string authcid, string password) =>
        SaslBase64.Encode($"{authzid}\0{authcid}\0{password}");
}
