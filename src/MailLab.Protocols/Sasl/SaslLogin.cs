namespace MailLab.Protocols.Sasl;

/// <summary>
/// The LOGIN mechanism (draft-murchison-sasl-login): the server asks "Username:" then "Password:",
/// each base64 in a challenge (SMTP: a 334 reply); the client answers each with one base64 line.
/// </summary>
public static class SaslLogin
{
    /// <summary>Mechanism name as advertised in EHLO.</summary>
    public const string Name = "LOGIN";

    /// <summary>base64("Username:").</summary>
    public const string UsernameChallenge = "VXNlcm5hbWU6";

    /// <summary>base64("Password:").</summary>
    public const string PasswordChallenge = "UGFzc3dvcmQ6";

    /// <summary>Decodes a client answer (user name or password); false on bad base64 or invalid UTF-8.</summary>
    public static bool TryDecode(string base64, out string value) => SaslBase64.TryDecodeUtf8(base64, out value);
}
