using MailLab.Server.Trace;

namespace MailLab.Server.Dashboard.Journey;

// The verdicts: SPF as a tree of terms, DKIM per signature, DMARC, and what else the events carry.
public static partial class JourneyBuilder
{
    private static List<SpfCheckView> Spf(List<TraceEvent> events)
    {
        var result = new List<SpfCheckView>();
        var pending = new Dictionary<(string?, string?), List<TraceEvent>>();
        foreach (var e in events)
        {
            var key = (e.Session, e.Str("Identity"));
            if (e.Kind == TraceKind.SpfStep)
            {
                if (!pending.TryGetValue(key, out var list)) pending[key] = list = [];
                list.Add(e);
            }
            else if (e.Kind == TraceKind.SpfResult)
            {
                var steps = pending.Remove(key, out var s) ? s : [];
                string identity = e.Str("Identity") ?? "", verdict = e.Str("Result") ?? "";
                result.Add(new SpfCheckView(e.Site, e.Session, identity, verdict, e.Str("Domain") ?? "", e.Str("Sender"), e.Str("ClientIp"),
                    e.Str("DecidingTerm"), e.Str("Explanation"), e.Str("Problem"), e.Str("Dnssec"),
                    steps.Select(x => x.Int("Lookups") ?? 0).DefaultIfEmpty(0).Max(), steps.Select(x => x.Int("VoidLookups") ?? 0).DefaultIfEmpty(0).Max(),
                    JourneyRfcs.SpfIdentity(identity), JourneyRfcs.SpfResult(verdict), SpfTree(e.Str("Domain") ?? "", steps)));
            }
        }
        return result;
    }

    // An include: is traced twice, before the walk of the other domain and with its verdict after it;
    // the node shows both as one term (Closing: the second).
    private sealed class SpfNode(TraceEvent step)
    {
        public TraceEvent Step { get; } = step;
        public TraceEvent? Closing { get; set; }
        public List<SpfNode> Children { get; } = [];

        public SpfTermView View()
        {
            var last = Closing ?? Step;
            var note = Closing is null ? Step.Str("Note") : string.Join("; ", new[] { Step.Str("Note"), Closing.Str("Note") }.OfType<string>());
            return new(Step.Str("Domain") ?? "", Step.Str("Term") ?? "", Step.Str("Query"), Step.Str("Answer"), last.Bool("Matched"),
                last.Int("Lookups") ?? 0, last.Int("VoidLookups") ?? 0, note, JourneyRfcs.SpfTerm(Step.Str("Term") ?? ""),
                Children.Select(c => c.View()).ToList());
        }
    }

    /// <summary>
    /// The flat steps as a tree: a step for another domain than the current one descends into the
    /// <c>include:</c> or <c>redirect=</c> just walked (RFC 7208 §5.2, §6.1), and a step for a domain
    /// higher up the stack returns there.
    /// </summary>
    private static List<SpfTermView> SpfTree(string domain, List<TraceEvent> steps)
    {
        var root = new List<SpfNode>();
        var stack = new List<(string Domain, List<SpfNode> Nodes)> { (domain, root) };
        foreach (var step in steps)
        {
            var d = step.Str("Domain") ?? "";
            if (!string.Equals(d, stack[^1].Domain, StringComparison.OrdinalIgnoreCase))
            {
                int up = stack.FindLastIndex(f => string.Equals(f.Domain, d, StringComparison.OrdinalIgnoreCase));
                if (up >= 0)
                {
                    stack.RemoveRange(up + 1, stack.Count - up - 1);
                    if (stack[^1].Nodes.LastOrDefault() is { Closing: null } open && open.Children.Count > 0 && open.Step.Str("Term") == step.Str("Term"))
                    {
                        open.Closing = step;
                        continue;
                    }
                }
                else if (stack[^1].Nodes.LastOrDefault() is { } parent && stack.Count < 32)
                {
                    stack.Add((d, parent.Children));
                }
            }
            stack[^1].Nodes.Add(new SpfNode(step));
        }
        return root.Select(n => n.View()).ToList();
    }

    private static DkimSigningView Signing(TraceEvent e) =>
        new(e.Site, e.Str("Domain"), e.Str("Selector"), e.Str("Algorithm"), e.List("SignedHeaders"), e.Str("BodyHash"), JourneyRfcs.DkimSign);

    private static List<DkimVerificationView> Dkim(List<TraceEvent> events)
    {
        var result = new List<DkimVerificationView>();
        var pending = new Dictionary<(string?, int?), List<TraceEvent>>();
        foreach (var e in events)
        {
            var key = (e.Message, e.Int("Index"));
            if (e.Kind == TraceKind.DkimStep && e.Str("Step") is not ("sign" or "keygen"))
            {
                if (!pending.TryGetValue(key, out var list)) pending[key] = list = [];
                list.Add(e);
            }
            else if (e.Kind == TraceKind.DkimResult)
            {
                var steps = pending.Remove(key, out var s) ? s : [];
                string verdict = e.Str("Result") ?? "";
                string? claimed = e.Str("BodyHashClaimed"), computed = e.Str("BodyHashComputed");
                var failed = steps.FirstOrDefault(x => x.Bool("Ok") == false);
                result.Add(new DkimVerificationView(e.Site, e.Int("Index") ?? 0, verdict, e.Str("Reason"), e.Str("Domain"), e.Str("Selector"),
                    e.Str("Algorithm"), e.Str("Canonicalization"), e.Str("Identity"), e.List("SignedHeaders"), e.List("UnsignedHeaders"),
                    claimed, computed, claimed is null || computed is null ? null : claimed == computed,
                    e.Str("KeyQuery"), e.Str("KeyAnswer"), e.Int("KeyBits"), e.Str("Dnssec"),
                    failed is null ? null : $"{failed.Str("Step")}: {failed.Str("Detail")}",
                    verdict == "none" ? JourneyRfcs.DkimNone : JourneyRfcs.DkimVerify,
                    steps.Select(x => new DkimStepView(x.Str("Step") ?? "", x.Bool("Ok"), x.Str("Detail"), x.Str("Query"), x.Str("Answer"),
                        JourneyRfcs.DkimStep(x.Str("Step") ?? ""))).ToList()));
            }
        }
        return result;
    }

    private static DmarcView Dmarc(TraceEvent e)
    {
        var mode = e.Str("Mode");
        var (discovery, org, policy) = JourneyRfcs.Dmarc(mode);
        return new DmarcView(e.Site, e.Str("Result") ?? "", e.Str("FromDomain"), mode, e.Str("PolicyDomain"), e.Str("Record"), e.Str("OrgDomain"),
            e.Str("Policy"), e.Str("PolicyTag"), e.Bool("SpfAligned"), e.Bool("DkimAligned"), e.List("Alignments"), e.Str("Requested"),
            e.Str("Disposition"), e.Str("Override"), e.Str("Folder"), e.Str("FromProblem"), e.Str("Reason"), e.List("Steps"),
            discovery, org, JourneyRfcs.Alignment, policy, JourneyRfcs.DmarcDisposition);
    }

    private static List<VerdictView> Verdicts(List<TraceEvent> events)
    {
        var list = new List<VerdictView>();
        foreach (var e in events)
        {
            switch (e.Kind)
            {
                case TraceKind.MessageReceived:
                    list.Add(new(e.Site, "TLS", e.Bool("Tls") == true ? "encrypted" : "plaintext",
                        $"{e.Role} received it from {e.Str("Client")} {(e.Bool("Tls") == true ? "over TLS" : "without TLS")}", JourneyRfcs.StartTls));
                    break;
                case TraceKind.SpfResult when e.Str("Dnssec") is { } status:
                    list.Add(new(e.Site, "DNSSEC", status, $"SPF {e.Str("Identity")} lookups for {e.Str("Domain")}", JourneyRfcs.Dnssec));
                    break;
                case TraceKind.DkimResult when e.Str("Dnssec") is { } status:
                    list.Add(new(e.Site, "DNSSEC", status, $"DKIM key {e.Str("KeyQuery")}", JourneyRfcs.Dnssec));
                    break;
                case TraceKind.DnssecValidation:
                    list.Add(new(e.Site, "DNSSEC", e.Str("Status") ?? "", $"{e.Str("Name")} {e.Str("Type")}{Paren(e.Str("Reason"))}", JourneyRfcs.Dnssec));
                    break;
                case TraceKind.TlsPolicy when e.Str("Step") is "decision" or "result":
                    list.Add(new(e.Site, "TLS policy", e.Str("Result") ?? "", $"{e.Str("Policy")} for {e.Str("Host")}: {e.Str("Reason")}", JourneyRfcs.TlsPolicy(e.Str("Policy"))));
                    break;
                case TraceKind.TlsEstablished when e.Str("Direction") == "outbound":
                    list.Add(new(e.Site, "TLS", e.Bool("Verified") == true ? "verified" : "unverified",
                        $"relay to {e.Str("Host")}: {e.Str("Version")} {e.Str("Cipher")}, peer {e.Str("PeerSubject")}", JourneyRfcs.StartTls));
                    break;
                case TraceKind.SmimeResult:
                    list.Add(new(e.Site, "S/MIME", e.Str("Verdict") ?? "", e.Str("Reason"), JourneyRfcs.Smime));
                    break;
                case TraceKind.OpenPgpResult:
                    list.Add(new(e.Site, "OpenPGP", e.Str("Result") ?? "", e.Str("Reason"), JourneyRfcs.OpenPgp));
                    break;
            }
        }
        return list;
    }
}
