namespace MailLab.Protocols.Sasl;

/// <summary>RFC 4954 §4, RFC 5034 §4, RFC 3501 §6.2.2: a client cancels a SASL exchange by sending a line with a single "*".</summary>
public static class SaslCancel
{
    /// <summary>True when the response line is the cancel marker "*".</summary>
    public static bool IsCancel(string line) => line == "*";
}
