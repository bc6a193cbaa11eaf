using MailLab.Server.Trace;

namespace MailLab.Server.Dashboard.Journey;

// The timeline: one step per event that moves the message or decides about it; protocol lines, DNS
// packets and header bookkeeping stay in the live trace.
public static partial class JourneyBuilder
{
    private static JourneyStep? Step(TraceEvent e, List<TraceEvent> hop, HashSet<TraceEvent> dataReplies)
    {
        JourneyStep S(string stage, string summary, RfcRef rfc, string? verdict = null, string? received = null) =>
            new(e.Sequence, e.Time, stage, e.Site, e.Role.ToString(), e.Session, e.Message, summary, received, verdict, rfc);

        switch (e.Kind)
        {
            case TraceKind.CommandReceived when e.Str("Verb") == "MAIL":
                // The transaction's start: SPF is checked here, before the message (and its id) exists.
                return S(e.Role == TraceRole.MSA ? "MUA → MSA" : "MTA", e.Text, JourneyRfcs.MailFrom);
            case TraceKind.MessageReceived:
            {
                var received = hop.FirstOrDefault(h => h.Kind == TraceKind.HeaderAdded && h.Message == e.Message && h.Str("Header") == "Received");
                var line = received?.Str("Value") is { } v ? "Received: " + Unfold(v) : null;
                var to = string.Join(", ", e.List("Recipients"));
                var tls = e.Bool("Tls") == true ? " over TLS" : " in plaintext";
                return e.Role == TraceRole.MSA
                    ? S("MUA → MSA", $"{e.Str("AuthenticatedUser") ?? "an unauthenticated client"} submitted it from {e.Str("Client")}{tls}: {e.Int("Size")} octets for {to}",
                        JourneyRfcs.Submission, "accepted", line)
                    : S("MTA", $"received from {e.Str("Helo")} [{e.Str("Client")}]{(e.Origin == LabOrigin.Relay ? " (the lab's relay)" : "")}{tls}: {e.Int("Size")} octets for {to}",
                        JourneyRfcs.Data, "accepted", line);
            }
            case TraceKind.SpfResult:
                return S("checks", $"SPF {e.Str("Identity")} {e.Str("Sender")} from {e.Str("ClientIp")}: {e.Str("Result")}{Paren(e.Str("DecidingTerm"))}",
                    JourneyRfcs.SpfResult(e.Str("Result") ?? ""), e.Str("Result"));
            case TraceKind.DkimStep when e.Str("Step") == "sign":
                return S("MUA → MSA", $"DKIM signed: d={e.Str("Domain")} s={e.Str("Selector")} a={e.Str("Algorithm")}", JourneyRfcs.DkimSign, "signed");
            case TraceKind.DkimResult:
                return S("checks", e.Str("Result") == "none" ? "DKIM: no signature"
                        : $"DKIM #{e.Int("Index")} d={e.Str("Domain")} s={e.Str("Selector")}: {e.Str("Result")} ({e.Str("Reason")})",
                    e.Str("Result") == "none" ? JourneyRfcs.DkimNone : JourneyRfcs.DkimVerify, e.Str("Result"));
            case TraceKind.DmarcEvaluated:
                return S("checks", $"DMARC {e.Str("Result")} for {e.Str("FromDomain")}: {e.Str("PolicyTag") ?? "p"}={e.Str("Policy")}, disposition {e.Str("Disposition")}",
                    JourneyRfcs.Dmarc(e.Str("Mode")).Policy, e.Str("Result"));
            case TraceKind.SmimeResult:
                return S("checks", $"S/MIME {e.Str("Structure")}: {e.Str("Verdict")} ({e.Str("Reason")})", JourneyRfcs.Smime, e.Str("Verdict"));
            case TraceKind.OpenPgpResult:
                return S("checks", $"OpenPGP {e.Str("Structure")}: {e.Str("Result")} ({e.Str("Reason")})", JourneyRfcs.OpenPgp, e.Str("Result"));
            case TraceKind.DmarcReportSent when e.Str("Report") == "failure":
                return S("checks", $"DMARC failure report {(e.Str("QueueId") is { } q ? $"queued as {q}" : "not queued")} for {Names(e.List("SentTo"))}",
                    RfcRef.Of(7489, "7.3"));
            case TraceKind.MessageRejected:
                return S("reply", $"refused: {e.Str("Reason")}", e.Str("Reason")?.StartsWith("dmarc", StringComparison.Ordinal) == true ? JourneyRfcs.DmarcReject : JourneyRfcs.Reply, "rejected");
            case TraceKind.ReplySent when dataReplies.Contains(e):
            {
                int code = e.Int("Code") ?? 0;
                return S("reply", $"S: {code} {e.Str("Enhanced")} {string.Join(" ", e.List("Lines"))}".Replace("  ", " "),
                    Reply(e).Rfc, code >= 500 ? "rejected" : code >= 400 ? "deferred" : "accepted");
            }
            case TraceKind.QueueEntryAdded:
                return S("queue", $"queued for {string.Join(", ", e.List("Recipients"))} ({e.Int("Size")} octets)", JourneyRfcs.Queue);
            case TraceKind.RelayAttempt:
                return e.Str("Step") switch
                {
                    "mx-lookup" => S("relay", $"MX lookup {e.Str("Domain")}: {e.Str("Outcome")} {string.Join(", ", e.List("Hosts"))}".TrimEnd(), JourneyRfcs.Mx),
                    "connect" => S("relay", $"connecting from {e.Str("From")} to {e.Str("Host")} {e.Str("To")}", JourneyRfcs.Mx),
                    "connect-failed" => S("relay", $"connection to {e.Str("Host")} {e.Str("To")} failed: {e.Str("Reason")}", JourneyRfcs.Retry, "failed"),
                    _ => S("relay", $"REQUIRETLS not met at {e.Str("Host")}: {e.Str("Reason")}", RfcRef.Of(8689, "4.2.1"), "failed"),
                };
            case TraceKind.TlsPolicy when e.Str("Step") is "decision" or "result":
                return S("relay", $"TLS policy {e.Str("Policy")} for {e.Str("Host")}: {e.Str("Result")}{Paren(e.Str("FailureType"))}",
                    JourneyRfcs.TlsPolicy(e.Str("Policy")), e.Str("Result"));
            case TraceKind.TlsEstablished when e.Str("Direction") == "outbound":
                return S("relay", $"TLS {e.Str("Version")} {e.Str("Cipher")} with {e.Str("Host")}, certificate {(e.Bool("Verified") == true ? "verified" : "NOT verified")}",
                    JourneyRfcs.StartTls, e.Bool("Verified") == true ? "verified" : "unverified");
            case TraceKind.RelayOutcome:
                return S("relay", $"<{e.Str("Recipient")}>: {e.Str("State")}: {e.Str("Reply")}{(e.Str("RemoteId") is { } id ? $" (next hop's id {id})" : "")}",
                    e.Str("State") == "deferred" ? JourneyRfcs.Retry : JourneyRfcs.Reply, e.Str("State"));
            case TraceKind.QueueEntryRemoved:
                return S("queue", $"left the queue: delivered {Names(e.List("Delivered"))}, failed {Names(e.List("Failed"))}", JourneyRfcs.Queue);
            case TraceKind.DsnSent:
                return S("bounce", $"bounce {e.Str("Dsn")} to {e.Str("To")} for {string.Join(", ", e.List("Recipients"))}", JourneyRfcs.Dsn, "bounced");
            case TraceKind.DsnSuppressed:
                return S("bounce", $"no bounce: {e.Str("Reason")}", JourneyRfcs.Dsn);
            case TraceKind.LocalDelivery:
                return S("MDA → store", $"stored for {e.Str("Recipient")} in {e.Str("Folder")}, uid {e.Int("Uid")} ({e.Int("Size")} octets)", JourneyRfcs.Mda, "delivered");
            case TraceKind.DeliveryFailed:
                return S("MDA → store", $"delivery failed: {e.Str("Reason")}", JourneyRfcs.Mda, "failed");
            case TraceKind.MailboxAccess:
                return e.Role == TraceRole.POP3
                    ? S("fetch", $"{e.Str("User")} read it over POP3 ({(e.Str("Action") == "top" ? "TOP" : "RETR")} {e.Int("Number")}, UIDL {e.Str("UniqueId")})", JourneyRfcs.Pop3Retrieve, "fetched")
                    : S("fetch", $"{e.Str("User")} fetched it over IMAP from {e.Str("Folder")}", JourneyRfcs.ImapFetch, "fetched");
            default:
                return null;
        }
    }

    private static string Unfold(string value) => value.Replace("\r\n", "").Replace('\t', ' ');

    private static string Paren(string? s) => string.IsNullOrEmpty(s) ? "" : $" ({s})";

    private static string Names(IReadOnlyList<string> list) => list.Count == 0 ? "none" : string.Join(", ", list);
}
