using System.Text;

namespace MailLab.Server.Dashboard.Journey;

/// <summary>
/// The journey as server-rendered HTML: semantic sections, the timeline as an ordered list, every verdict
/// as a word and a symbol (never colour alone), every step linked to its RFC section. No script needed.
/// </summary>
public static class JourneyPage
{
    /// <summary>A whole HTML document for <paramref name="journey"/>.</summary>
    public static string Render(MessageJourney journey)
    {
        ArgumentNullException.ThrowIfNull(journey);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>Journey of ").Append(E(journey.Id)).Append(" - MailLab</title>\n<style>").Append(Style).Append("</style>\n</head>\n<body>\n")
            .Append(RenderBody(journey)).Append("</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>The journey as one <c>&lt;article&gt;</c>, for a page that has its own layout.</summary>
    public static string RenderBody(MessageJourney journey)
    {
        ArgumentNullException.ThrowIfNull(journey);
        var h = new StringBuilder();
        h.Append("<article class=\"journey\" aria-labelledby=\"journey-title\">\n<h1 id=\"journey-title\">Journey of message ").Append(E(journey.Id)).Append("</h1>\n");
        h.Append("<p>Outcome: ").Append(Verdict(journey.Outcome)).Append(". Queue ids hop by hop: ").Append(E(string.Join(" → ", journey.Ids)));
        if (journey.Subject is not null) h.Append(". Subject: <q>").Append(E(journey.Subject)).Append("</q>");
        if (journey.MessageId is not null) h.Append(". Message-ID: <code>").Append(E(journey.MessageId)).Append("</code>");
        h.Append(".</p>\n");
        Envelope(h, journey.Envelope);
        Timeline(h, journey.Timeline);
        Replies(h, journey.Replies);
        Spf(h, journey.Spf);
        Dkim(h, journey.DkimSigned, journey.Dkim);
        Dmarc(h, journey.Dmarc);
        Verdicts(h, journey.Verdicts);
        h.Append("</article>\n");
        return h.ToString();
    }

    private const string Style =
        "body{font:1.1rem/1.5 system-ui,sans-serif;margin:1rem auto;max-width:70rem;padding:0 1rem;color:#111;background:#fff}" +
        "table{border-collapse:collapse}td,th{border:1px solid #666;padding:.2rem .5rem;text-align:left;vertical-align:top}" +
        "code{word-break:break-all}.v-good{color:#05520f}.v-bad{color:#8b0000}.v-warn{color:#6b4b00}" +
        "ol.timeline>li{margin:.4rem 0}a{color:#0040a0}";

    private static void Envelope(StringBuilder h, EnvelopeView v)
    {
        h.Append("<section aria-labelledby=\"envelope\">\n<h2 id=\"envelope\">Envelope and header</h2>\n<table>\n<tr><th scope=\"col\">What</th><th scope=\"col\">Address</th><th scope=\"col\">Domain</th><th scope=\"col\">Rule</th></tr>\n");
        h.Append("<tr><th scope=\"row\">Envelope MAIL FROM</th><td><code>").Append(E(v.MailFrom.Length == 0 ? "<>" : v.MailFrom)).Append("</code></td><td>")
            .Append(E(v.EnvelopeDomain)).Append("</td><td>").Append(Link(v.MailFromRfc)).Append("</td></tr>\n");
        h.Append("<tr><th scope=\"row\">Header From</th><td><code>").Append(E(v.HeaderFrom ?? "(none)")).Append("</code></td><td>")
            .Append(E(v.HeaderFromDomain ?? "")).Append("</td><td>").Append(Link(v.HeaderFromRfc)).Append("</td></tr>\n</table>\n");
        h.Append("<p>Domains: ").Append(v.SameDomain switch { true => Verdict("same"), false => Verdict("differ"), _ => "no From" })
            .Append(". DMARC alignment (").Append(Link(v.AlignmentRfc)).Append("): SPF ").Append(Aligned(v.SpfAligned))
            .Append(", DKIM ").Append(Aligned(v.DkimAligned)).Append(".</p>\n");
        List(h, v.Alignments);
        h.Append("</section>\n");
    }

    private static void Timeline(StringBuilder h, IReadOnlyList<JourneyStep> steps)
    {
        h.Append("<section aria-labelledby=\"timeline\">\n<h2 id=\"timeline\">Timeline</h2>\n<ol class=\"timeline\">\n");
        foreach (var s in steps)
        {
            h.Append("<li><time datetime=\"").Append(E(s.Time.ToString("O"))).Append("\">").Append(E(s.Time.ToString("HH:mm:ss.fff"))).Append("</time> <strong>")
                .Append(E(s.Stage)).Append("</strong> ").Append(E(s.Site)).Append(' ').Append(E(s.Role));
            if (s.Session is not null) h.Append(" <span>session ").Append(E(s.Session)).Append("</span>");
            if (s.QueueId is not null) h.Append(" <span>id ").Append(E(s.QueueId)).Append("</span>");
            h.Append(": ").Append(E(s.Summary));
            if (s.Verdict is not null) h.Append(" — ").Append(Verdict(s.Verdict));
            h.Append(" (").Append(Link(s.Rfc)).Append(')');
            if (s.Received is not null) h.Append("<br><code class=\"received\">").Append(E(s.Received)).Append("</code>");
            h.Append("</li>\n");
        }
        h.Append("</ol>\n</section>\n");
    }

    private static void Replies(StringBuilder h, IReadOnlyList<SmtpReplyView> replies)
    {
        if (replies.Count == 0) return;
        h.Append("<section aria-labelledby=\"replies\">\n<h2 id=\"replies\">SMTP replies to DATA</h2>\n<ul>\n");
        foreach (var r in replies)
        {
            var word = r.Code >= 500 ? "rejected" : r.Code >= 400 ? "deferred" : "accepted";
            h.Append("<li>").Append(E(r.Site)).Append(' ').Append(E(r.Role)).Append(": <code class=\"reply\">").Append(r.Code).Append(' ')
                .Append(E(r.Enhanced ?? "")).Append(' ').Append(E(r.Text)).Append("</code> — ").Append(Verdict(word)).Append(" (").Append(Link(r.Rfc)).Append(")</li>\n");
        }
        h.Append("</ul>\n</section>\n");
    }

    private static void Spf(StringBuilder h, IReadOnlyList<SpfCheckView> checks)
    {
        h.Append("<section aria-labelledby=\"spf\">\n<h2 id=\"spf\">SPF</h2>\n");
        if (checks.Count == 0) h.Append("<p>No SPF check in the trace (the MSA does not check SPF; an MTA does, at MAIL).</p>\n");
        foreach (var c in checks)
        {
            h.Append("<h3>").Append(E(c.Site)).Append(": ").Append(E(c.Identity)).Append(" identity (").Append(Link(c.IdentityRfc)).Append(")</h3>\n<p>")
                .Append("<code>").Append(E(c.Sender ?? "")).Append("</code> from <code>").Append(E(c.ClientIp ?? "")).Append("</code>: ")
                .Append(Verdict(c.Result)).Append(" (").Append(Link(c.Rfc)).Append(')');
            if (c.DecidingTerm is not null) h.Append(", decided by <code class=\"term\">").Append(E(c.DecidingTerm)).Append("</code>");
            h.Append(". DNS-querying terms: ").Append(c.Lookups).Append(" of 10, void lookups: ").Append(c.VoidLookups).Append(" of 2 (")
                .Append(Link(RfcRef.Of(7208, "4.6.4"))).Append(").");
            foreach (var (label, value) in new[] { ("Explanation", c.Explanation), ("Problem", c.Problem), ("DNSSEC", c.Dnssec) })
            {
                if (value is not null) h.Append(' ').Append(label).Append(": ").Append(E(value)).Append('.');
            }
            h.Append("</p>\n");
            Terms(h, c.Terms);
        }
        h.Append("</section>\n");
    }

    private static void Terms(StringBuilder h, IReadOnlyList<SpfTermView> terms)
    {
        if (terms.Count == 0) return;
        h.Append("<ul class=\"spf-terms\">\n");
        foreach (var t in terms)
        {
            h.Append("<li><code class=\"term\">").Append(E(t.Term)).Append("</code> in ").Append(E(t.Domain)).Append(": ")
                .Append(t.Matched switch { true => Verdict("match"), false => Verdict("no match"), _ => "lookup" });
            if (t.Query is not null) h.Append(", <code>").Append(E(t.Query)).Append("</code> → <code>").Append(E(t.Answer ?? "")).Append("</code>");
            h.Append(", lookups ").Append(t.Lookups).Append(", void ").Append(t.VoidLookups);
            if (t.Note is not null) h.Append(", ").Append(E(t.Note));
            h.Append(" (").Append(Link(t.Rfc)).Append(')');
            Terms(h, t.Children);
            h.Append("</li>\n");
        }
        h.Append("</ul>\n");
    }

    private static void Dkim(StringBuilder h, IReadOnlyList<DkimSigningView> signed, IReadOnlyList<DkimVerificationView> checks)
    {
        h.Append("<section aria-labelledby=\"dkim\">\n<h2 id=\"dkim\">DKIM</h2>\n");
        foreach (var s in signed)
        {
            h.Append("<p>").Append(E(s.Site)).Append(" signed: d=").Append(E(s.Domain ?? "")).Append(" s=").Append(E(s.Selector ?? "")).Append(" a=").Append(E(s.Algorithm ?? ""))
                .Append(", h=<code>").Append(E(string.Join(":", s.SignedHeaders))).Append("</code>, bh=<code>").Append(E(s.BodyHash ?? "")).Append("</code> (").Append(Link(s.Rfc)).Append(")</p>\n");
        }
        if (signed.Count == 0 && checks.Count == 0) h.Append("<p>No DKIM event in the trace.</p>\n");
        foreach (var c in checks)
        {
            h.Append("<h3>").Append(E(c.Site)).Append(": signature #").Append(c.Index).Append(' ').Append(E(c.Domain ?? "")).Append(' ').Append(E(c.Selector ?? ""))
                .Append("</h3>\n<p>").Append(Verdict(c.Result)).Append(" (").Append(Link(c.Rfc)).Append(")");
            if (c.Reason is not null) h.Append(": ").Append(E(c.Reason));
            if (c.FailingStep is not null) h.Append(". Failing step: <strong>").Append(E(c.FailingStep)).Append("</strong>");
            h.Append(".</p>\n<table>\n");
            Row(h, "Algorithm, canonicalization", $"{c.Algorithm} {c.Canonicalization}");
            Row(h, "Signed header fields (h=)", string.Join(":", c.SignedHeaders));
            Row(h, "Not signed", string.Join(", ", c.UnsignedHeaders));
            Row(h, "bh= claimed", c.BodyHashClaimed);
            Row(h, "bh= computed", c.BodyHashComputed is null ? null
                : $"{c.BodyHashComputed} ({(c.BodyHashMatches == true ? "✓ matches" : "✗ differs")})");
            Row(h, "Key record", c.KeyQuery is null ? null : $"{c.KeyQuery} → {c.KeyAnswer}{(c.KeyBits is { } b ? $" ({b} bits)" : "")}");
            Row(h, "DNSSEC", c.Dnssec);
            h.Append("</table>\n<ol>\n");
            foreach (var s in c.Steps)
            {
                h.Append("<li>").Append(E(s.Step)).Append(": ").Append(s.Ok switch { true => Verdict("ok"), false => Verdict("failed"), _ => "info" })
                    .Append(" — ").Append(E(s.Detail ?? "")).Append(" (").Append(Link(s.Rfc)).Append(")</li>\n");
            }
            h.Append("</ol>\n");
        }
        h.Append("</section>\n");
    }

    private static void Dmarc(StringBuilder h, IReadOnlyList<DmarcView> checks)
    {
        h.Append("<section aria-labelledby=\"dmarc\">\n<h2 id=\"dmarc\">DMARC</h2>\n");
        if (checks.Count == 0) h.Append("<p>No DMARC evaluation in the trace.</p>\n");
        foreach (var d in checks)
        {
            h.Append("<h3>").Append(E(d.Site)).Append(": ").Append(E(d.FromDomain ?? "")).Append("</h3>\n<p>").Append(Verdict(d.Result));
            if (d.Reason is not null) h.Append(": ").Append(E(d.Reason));
            h.Append("</p>\n<dl>\n");
            Item(h, "Policy record", $"{d.PolicyDomain}: {d.Record ?? "(none)"}", d.DiscoveryRfc);
            Item(h, "Organisational domain", d.OrgDomain, d.OrgDomainRfc);
            Item(h, "SPF alignment", d.SpfAligned == true ? "✓ aligned" : "✗ not aligned", d.AlignmentRfc);
            Item(h, "DKIM alignment", d.DkimAligned == true ? "✓ aligned" : "✗ not aligned", d.AlignmentRfc);
            Item(h, "Policy", $"{d.PolicyTag ?? "p"}={d.Policy} (requested {d.Requested})", d.PolicyRfc);
            Item(h, "Disposition", $"{d.Disposition}{(d.Override is null ? "" : $" ({d.Override})")}{(d.Folder is null ? "" : $", to {d.Folder}")}", d.DispositionRfc);
            h.Append("</dl>\n");
            List(h, d.Alignments);
        }
        h.Append("</section>\n");
    }

    private static void Verdicts(StringBuilder h, IReadOnlyList<VerdictView> verdicts)
    {
        if (verdicts.Count == 0) return;
        h.Append("<section aria-labelledby=\"verdicts\">\n<h2 id=\"verdicts\">TLS, DNSSEC, S/MIME, OpenPGP</h2>\n<ul>\n");
        foreach (var v in verdicts)
        {
            h.Append("<li>").Append(E(v.Site)).Append(' ').Append(E(v.Kind)).Append(": ").Append(Verdict(v.Result));
            if (v.Detail is not null) h.Append(" — ").Append(E(v.Detail));
            h.Append(" (").Append(Link(v.Rfc)).Append(")</li>\n");
        }
        h.Append("</ul>\n</section>\n");
    }

    private static void Row(StringBuilder h, string label, string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        h.Append("<tr><th scope=\"row\">").Append(E(label)).Append("</th><td><code>").Append(E(value)).Append("</code></td></tr>\n");
    }

    private static void Item(StringBuilder h, string label, string? value, RfcRef rfc) =>
        h.Append("<dt>").Append(E(label)).Append("</dt><dd>").Append(E(value ?? "")).Append(" (").Append(Link(rfc)).Append(")</dd>\n");

    private static void List(StringBuilder h, IReadOnlyList<string> items)
    {
        if (items.Count == 0) return;
        h.Append("<ul>\n");
        foreach (var i in items) h.Append("<li>").Append(E(i)).Append("</li>\n");
        h.Append("</ul>\n");
    }

    private static string Aligned(bool? aligned) => aligned switch { true => Verdict("aligned"), false => Verdict("not aligned"), _ => "not evaluated" };

    /// <summary>A verdict as a symbol and the word, with a class for colour (which only repeats what the symbol says).</summary>
    internal static string Verdict(string word)
    {
        var (symbol, css) = word.ToLowerInvariant() switch
        {
            "pass" or "accepted" or "delivered" or "fetched" or "signed" or "verified" or "encrypted" or "secure" or "ok" or "match"
                or "aligned" or "same" or "tls-required" or "tls-optional" => ("✓", "v-good"),
            "fail" or "rejected" or "reject" or "failed" or "bounced" or "permerror" or "bogus" or "unverified" or "plaintext"
                or "not aligned" or "differ" or "defer" or "partly delivered" => ("✗", "v-bad"),
            "none" or "no match" or "insecure" or "received" or "queued" => ("–", "v-none"),
            _ => ("!", "v-warn"),
        };
        return $"<span class=\"{css}\"><span aria-hidden=\"true\">{symbol}</span> {E(word)}</span>";
    }

    private static string Link(RfcRef rfc) => $"<a href=\"{E(rfc.Url)}\">{E(rfc.Label)}</a>";

    // The five characters that matter in text and in quoted attributes; the rest stays readable UTF-8
    // (WebUtility.HtmlEncode would turn § into &#167;).
    private static string E(string s) =>
        s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;").Replace("'", "&#39;");
}
