using System.Net;
using System.Text;

namespace MailLab.MailAuth.Spf;

/// <summary>The seven results of check_host() (RFC 7208 §2.6).</summary>
public enum SpfResultCode
{
    None,
    Neutral,
    Pass,
    Fail,
    SoftFail,
    TempError,
    PermError,
}

/// <summary>One step of an evaluation: a term, its DNS query and answer, whether it matched, and the lookup counter after it.</summary>
public sealed record SpfStep(
    string Domain,
    string Term,
    string? Query,
    string? Answer,
    bool? Matched,
    int Lookups,
    int VoidLookups,
    string? Note = null)
{
    public override string ToString()
    {
        var sb = new StringBuilder().Append(Domain).Append(": ").Append(Term);
        if (Query is not null) sb.Append(" [").Append(Query).Append(" -> ").Append(Answer).Append(']');
        if (Matched is bool m) sb.Append(m ? " match" : " no match");
        if (Note is not null) sb.Append(" (").Append(Note).Append(')');
        return sb.Append(" lookups=").Append(Lookups).Append(" void=").Append(VoidLookups).ToString();
    }
}

/// <summary>The outcome of check_host() with its explanation as data (RFC 7208 §2.6, §6.2).</summary>
public sealed record SpfResult(
    SpfResultCode Result,
    string Domain,
    string? Explanation,
    IReadOnlyList<SpfStep> Steps,
    string? DecidingTerm,
    string? Problem)
{
    public IPAddress? ClientIp { get; init; }
    public string Sender { get; init; } = "";
    public string Helo { get; init; } = "";
    public string? Receiver { get; init; }

    /// <summary>"mailfrom" or "helo" (RFC 7208 §9.1 identity key).</summary>
    public string Identity { get; init; } = "mailfrom";

    /// <summary>Result keyword as written in headers: "pass", "permerror", ...</summary>
    public string Keyword => Result.ToString().ToLowerInvariant();

    /// <summary>The value of a Received-SPF header field (RFC 7208 §9.1), without the field name.</summary>
    public string ToReceivedSpfValue()
    {
        var receiver = Receiver ?? "unknown";
        var ip = ClientIp?.ToString() ?? "unknown";
        var comment = Result switch
        {
            SpfResultCode.Pass => $"domain of {Sender} designates {ip} as permitted sender",
            SpfResultCode.Fail => $"domain of {Sender} does not designate {ip} as permitted sender",
            SpfResultCode.SoftFail => $"domain of transitioning {Sender} does not designate {ip} as permitted sender",
            SpfResultCode.Neutral => $"{ip} is neither permitted nor denied by domain of {Sender}",
            SpfResultCode.None => $"domain of {Sender} does not provide an SPF record",
            SpfResultCode.TempError => $"temporary error in processing domain of {Domain}: {Problem}",
            _ => $"permanent error in processing domain of {Domain}: {Problem}",
        };
        var sb = new StringBuilder()
            .Append(Keyword).Append(" (").Append(receiver).Append(": ").Append(comment.Replace("(", "").Replace(")", "")).Append(") ")
            .Append("client-ip=").Append(ip).Append("; ")
            .Append("envelope-from=").Append(Quote(Sender)).Append("; ")
            .Append("helo=").Append(Quote(Helo)).Append("; ")
            .Append("receiver=").Append(Quote(receiver)).Append("; ")
            .Append("identity=").Append(Identity);
        if (Result is SpfResultCode.PermError or SpfResultCode.TempError)
        {
            if (Problem is not null) sb.Append("; problem=").Append(Quote(Problem));
        }
        else if (DecidingTerm is not null)
        {
            sb.Append("; mechanism=").Append(Quote(DecidingTerm));
        }
        return sb.ToString();
    }

    // RFC 7208 §9.1: key-value = dot-atom / quoted-string (RFC 5322).
    private static string Quote(string value)
    {
        if (value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~.".Contains(c))
            && !value.StartsWith('.') && !value.EndsWith('.') && !value.Contains(".."))
            return value;
        return "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
    }
}
