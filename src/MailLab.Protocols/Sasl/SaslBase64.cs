using System.Text;

namespace MailLab.Protocols.Sasl;

/// <summary>Base64 as SASL in SMTP uses it (RFC 4954 §4): strict alphabet, "=" alone means empty.</summary>
public static class SaslBase64
{
    /// <summary>True for "=" or well-formed padded base64 without whitespace.</summary>
    public static bool IsValid(string text) => TryDecode(text, out _);

    /// <summary>Decodes; "=" gives an empty array. False on whitespace, bad characters or bad padding.</summary>
    public static bool TryDecode(string text, out byte[] bytes)
    {
        bytes = [];
        if (text == "=")
            return true;
        if (text.Length == 0 || text.Length % 4 != 0)
            return false;
        // Convert would skip whitespace; SASL responses have none.
        if (!text.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '='))
            return false;
        var buffer = new byte[text.Length / 4 * 3];
        if (!Convert.TryFromBase64String(text, buffer, out int written))
            return false;
        bytes = buffer[..written];
        return true;
    }

    /// <summary>Decodes to UTF-8 text; false on bad base64 or invalid UTF-8.</summary>
    public static bool TryDecodeUtf8(string text, out string value)
    {
        value = string.Empty;
        if (!TryDecode(text, out byte[] bytes))
            return false;
        try
        {
            value = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>Encodes text as UTF-8 base64; an empty string gives "=" (RFC 4954 §4).</summary>
    public static string Encode(string text) => text.Length == 0 ? "=" : Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
