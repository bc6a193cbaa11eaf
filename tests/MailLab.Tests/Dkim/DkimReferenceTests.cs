using System.Text;
using MailLab.MailAuth.Dkim;

namespace MailLab.Tests.Dkim;

/// <summary>
/// The verifier's allocation-free paths (span tag parsing, octet canonicalization into buffers, the coverage
/// note without LINQ, issue 19) against plain string implementations of the same RFC 6376 rules, kept here
/// as references, on fixed edge cases and on seeded random input (folded fields, tabs, trailing WSP, empty
/// values, lone CR, repeated and differently cased names, the large-input branches).
/// </summary>
public class DkimReferenceTests
{
    [Theory]
    [InlineData("")]
    [InlineData("a \t\r\n\t \r\n")] // a whitespace-only line after content
    [InlineData(" \t lead and trail \t ")] // no final CRLF, WSP at both ends
    [InlineData("a\r \rb\r\n\r\r\n")] // lone CRs are content, also after WSP
    [InlineData("x  \r\n\r\n \r\ny")]
    public void Relaxed_body_matches_the_reference(string body) => AssertBody(Encoding.Latin1.GetBytes(body));

    [Fact]
    public void Relaxed_body_matches_the_reference_on_random_bodies()
    {
        var random = new Random(19);
        for (int n = 0; n < 20_000; n++)
        {
            // Short bodies of the interesting octets, and some long runs (the vectorized search past 16 octets).
            const string octets = " \t\r\nab\u00e9";
            var body = new byte[random.Next(0, 48)];
            for (int i = 0; i < body.Length; i++) body[i] = (byte)octets[random.Next(octets.Length)];
            if (n % 10 == 0) body = [.. body, .. Enumerable.Repeat((byte)'z', random.Next(10, 80)), .. body];
            AssertBody(body);
        }
    }

    [Theory]
    [InlineData("Subject: a\r\n\tb \t c \t\r\n")] // folded with tabs, trailing WSP
    [InlineData("Subject:\r\n")] // empty value
    [InlineData("Subject: \t \r\n")] // value of WSP only
    [InlineData("SUBJECT \t:x\r\n")] // WSP before the colon
    [InlineData("No-Colon \r\n")] // no colon: the CRLF stays in the "name" as before
    [InlineData("\u00c9T\u00c9: \u00c0 b\r\n")] // Latin-1 upper case in the name
    [InlineData("X: a\rb\r\n")]
    public void Relaxed_header_matches_the_reference(string raw) => AssertHeader(raw);

    [Fact]
    public void Relaxed_header_matches_the_reference_on_random_fields()
    {
        var random = new Random(6376);
        for (int n = 0; n < 20_000; n++)
        {
            const string alphabet = "Ab \t\r\n:\u00c9";
            var chars = new char[random.Next(0, 24)];
            for (int i = 0; i < chars.Length; i++) chars[i] = alphabet[random.Next(alphabet.Length)];
            AssertHeader(new string(chars));
        }
        // A caller's string that is not Latin-1 takes the string path and keeps its chars.
        Assert.Equal("subject:\u20ac x", DkimCanonicalizer.RelaxedHeader("Subject: \u20ac  x\r\n"));
    }

    [Theory]
    [InlineData(DkimCanonicalization.Relaxed, "from:to:from:subject:TO:x-missing:from")]
    [InlineData(DkimCanonicalization.Simple, "from:to:from:subject:TO:x-missing:from")]
    public void Header_data_matches_the_reference(DkimCanonicalization c, string h)
    {
        var message = DkimMessage.Parse(Encoding.Latin1.GetBytes(
            "DKIM-Signature: placeholder\r\nFrom: a@b.test\r\nto: x@y.test\r\nSubject:  hi \t\r\n\tthere\r\nFROM: second@b.test\r\nTo: z@y.test\r\n\r\nbody\r\n"));
        AssertHeaderData(message, c, h);
        // More than 16 names in h= (the map instead of the scan), repeats included.
        AssertHeaderData(message, c, string.Join(':', Enumerable.Repeat("from:to:subject", 8)));
    }

    [Fact]
    public void Coverage_matches_the_reference()
    {
        var random = new Random(5);
        string[] names = ["From", "from", "To", "Subject", "SUBJECT", "Date", "X-A", "DKIM-Signature"];
        for (int n = 0; n < 3_000; n++)
        {
            // Up to 40 entries each side: past 32 the coverage uses a map.
            var headers = Enumerable.Range(0, random.Next(0, n % 7 == 0 ? 40 : 8)).Select(_ => names[random.Next(names.Length)] + ": v\r\n");
            var message = DkimMessage.Parse(Encoding.Latin1.GetBytes(string.Concat(headers) + "\r\n"));
            var signed = Enumerable.Range(0, random.Next(1, n % 5 == 0 ? 40 : 8)).Select(_ => names[random.Next(names.Length - 1)]).ToList();
            var (unsigned, note) = DkimCoverage.Of(message, signed);
            var (refUnsigned, refNote) = ReferenceCoverage(message, signed);
            Assert.Equal(refNote, note);
            Assert.Equal(refUnsigned, unsigned);
        }
    }

    [Fact]
    public void Tag_lists_match_the_reference()
    {
        var random = new Random(32);
        for (int n = 0; n < 20_000; n++)
        {
            const string alphabet = "ab1_=; \t\r\n-bh";
            var chars = new char[random.Next(0, 20)];
            for (int i = 0; i < chars.Length; i++) chars[i] = alphabet[random.Next(alphabet.Length)];
            string text = new(chars);
            var tags = DkimTags.Parse(text, out var error);
            var reference = ReferenceTags(text, out var refError);
            Assert.Equal(refError, error);
            Assert.Equal(reference is null, tags is null);
            if (tags is null) continue;
            Assert.Equal(reference!.Select(t => t.Name), tags.Order);
            Assert.Equal(reference!.Select(t => t.Value), tags.Order.Select(name => tags[name]));
        }
    }

    [Theory]
    [InlineData("DKIM-Signature: v=1; a=rsa-sha256; d=x.test; s=s; h=from; bh=AAAA; b=AAAA\r\n")]
    [InlineData("DKIM-Signature: v=1; a=rsa-sha256; d=x.test; s=s; h=to; bh=AAAA; b=AAAA")] // no From, no CRLF
    [InlineData("DKIM-Signature:\r\n")]
    [InlineData("DKIM-Signature:;\r\n")]
    [InlineData("DKIM-Signature")]
    [InlineData("DKIM-Signature: v=1;; a=b\r\n")]
    public void A_signature_read_inside_its_field_is_the_one_read_from_its_value(string raw)
    {
        var field = new DkimHeaderField("DKIM-Signature", raw);
        var inside = DkimSignature.Parse(field, out var error, out var tags);
        var copied = DkimSignature.Parse(field.Value, out var copiedError, out var copiedTags);
        Assert.Equal(copiedError, error);
        Assert.Equal(copied is null, inside is null);
        if (copied is not null)
        {
            Assert.Equal((copied.Domain, copied.Selector, copied.AlgorithmName, copied.BodyHash, copied.Identity, copied.BodyLength, copied.Timestamp),
                (inside!.Domain, inside.Selector, inside.AlgorithmName, inside.BodyHash, inside.Identity, inside.BodyLength, inside.Timestamp));
            Assert.Equal(copied.Signature, inside.Signature);
            Assert.Equal(copied.SignedHeaders, inside.SignedHeaders);
        }
        Assert.Equal(copiedTags?.Order, tags?.Order);
        Assert.Equal(copiedTags?.Order.Select(n => copiedTags[n]), tags?.Order.Select(n => tags[n]));
    }

    [Fact]
    public void Base64_tags_with_folding_and_overlong_bh_parse_as_before()
    {
        const string head = "v=1; a=rsa-sha256; d=x.test; s=s; h=From : To;\r\n\t";
        var sig = DkimSignature.Parse(head + "bh=AAAA; b=AQ\r\n\t ID BA==", out var error, out _);
        Assert.Null(error);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, sig!.Signature);
        Assert.Equal(["From", "To"], sig.SignedHeaders);
        // A bh= over 256 characters takes the array path: valid stays valid, invalid says so.
        Assert.NotNull(DkimSignature.Parse(head + $"bh={new string('A', 400)}; b=AAAA", out error, out _));
        Assert.Null(DkimSignature.Parse(head + $"bh={new string('A', 399)}; b=AAAA", out error, out _));
        Assert.Equal("b= or bh= is not valid base64", error);
    }

    [Theory]
    [InlineData("key", "k=rsa", true, "q.test TXT", "v=DKIM1")]
    [InlineData("key", "no key record", false, "q.test TXT", null)]
    [InlineData("parse", "d=x", null, null, null)]
    [InlineData("", "", false, "", "")]
    public void A_step_formats_as_its_text(string name, string detail, bool? ok, string? query, string? answer)
    {
        var step = new DkimStep(name, detail, ok, query, answer);
        var sb = new StringBuilder(name).Append(": ").Append(detail);
        if (query is not null) sb.Append(" [").Append(query).Append(" -> ").Append(answer).Append(']');
        if (ok is bool b) sb.Append(b ? " ok" : " FAILED");
        Assert.Equal(sb.ToString(), step.ToString());
        Assert.Equal("DKIM #1 " + sb, $"DKIM #{1} {step}"); // the trace line's path (ISpanFormattable)
    }

    private static void AssertBody(byte[] body)
    {
        var output = new byte[body.Length + 2];
        int n = DkimCanonicalizer.RelaxedBody(body, output);
        Assert.Equal(ReferenceRelaxedBody(Encoding.Latin1.GetString(body)), Encoding.Latin1.GetString(output, 0, n));
    }

    private static void AssertHeader(string raw)
    {
        string expected = ReferenceRelaxedHeader(raw);
        Assert.Equal(expected, DkimCanonicalizer.RelaxedHeader(raw));
        var output = new byte[raw.Length + 1];
        Assert.Equal(expected, Encoding.Latin1.GetString(output, 0, DkimCanonicalizer.RelaxedHeader(raw.AsSpan(), output)));
    }

    private static void AssertHeaderData(DkimMessage message, DkimCanonicalization c, string h)
    {
        string value = $"v=1; a=rsa-sha256; c={(c == DkimCanonicalization.Simple ? "simple" : "relaxed")}/simple; d=b.test; s=s;\r\n\th={h}; bh=AAAA;\r\n\tb=AQID\r\n\t BA==";
        var field = new DkimHeaderField("DKIM-Signature", "DKIM-Signature:  " + value + "\r\n");
        var sig = DkimSignature.Parse(field.Value, out var error, out _) ?? throw new InvalidOperationException(error);
        Assert.Equal(ReferenceHeaderData(message, field, sig), Encoding.Latin1.GetString(DkimVerifier.HeaderData(message, field, sig)));
    }

    // RFC 6376 §3.4.4 line by line on a string (one char per octet).
    private static string ReferenceRelaxedBody(string body)
    {
        var lines = body.Length == 0 ? [] : body.Split("\r\n").ToList();
        if (body.EndsWith("\r\n", StringComparison.Ordinal)) lines.RemoveAt(lines.Count - 1); // no line after the last CRLF
        var canonical = new List<string>();
        foreach (string line in lines)
        {
            // Every WSP run becomes one SP (a leading one too), then WSP at the end goes.
            var sb = new StringBuilder();
            bool wsp = false;
            foreach (char c in line)
            {
                if (c is ' ' or '\t')
                {
                    wsp = true;
                    continue;
                }
                if (wsp) sb.Append(' ');
                wsp = false;
                sb.Append(c);
            }
            canonical.Add(sb.ToString());
        }
        while (canonical.Count > 0 && canonical[^1].Length == 0) canonical.RemoveAt(canonical.Count - 1);
        return string.Concat(canonical.Select(l => l + "\r\n"));
    }

    // RFC 6376 §3.4.2 on strings: lower-cased name, unfolded value, WSP runs as one SP, none at the ends.
    private static string ReferenceRelaxedHeader(string raw)
    {
        int colon = raw.IndexOf(':');
        string name = (colon < 0 ? raw : raw[..colon]).TrimEnd(' ', '\t').ToLowerInvariant();
        string value = (colon < 0 ? "" : raw[(colon + 1)..]).Replace("\r", "").Replace("\n", "");
        var words = value.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return name + ":" + string.Join(' ', words);
    }

    // RFC 6376 §5.4.2: each h= name takes the next instance from the bottom; then the field with b= empty.
    private static string ReferenceHeaderData(DkimMessage message, DkimHeaderField field, DkimSignature sig)
    {
        var taken = new HashSet<int>();
        var sb = new StringBuilder();
        foreach (string name in sig.SignedHeaders)
        {
            int i = Enumerable.Range(0, message.Headers.Count).Reverse()
                .FirstOrDefault(j => !taken.Contains(j) && message.Headers[j].Name.Equals(name, StringComparison.OrdinalIgnoreCase), -1);
            if (i < 0) continue;
            taken.Add(i);
            sb.Append(sig.HeaderCanonicalization == DkimCanonicalization.Simple ? message.Headers[i].Raw : ReferenceRelaxedHeader(message.Headers[i].Raw) + "\r\n");
        }
        // The test's b= is the last tag: emptying it and dropping the final CRLF leaves the field up to "b=".
        string self = field.Raw[..(field.Raw.IndexOf("b=AQ", StringComparison.Ordinal) + 2)];
        return sb.Append(sig.HeaderCanonicalization == DkimCanonicalization.Simple ? self : ReferenceRelaxedHeader(self)).ToString();
    }

    private static (IReadOnlyList<string>, string) ReferenceCoverage(DkimMessage message, IReadOnlyList<string> signed)
    {
        var wanted = signed.GroupBy(h => h, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Count(), StringComparer.OrdinalIgnoreCase);
        var present = message.Headers.Where(h => !h.Name.Equals("DKIM-Signature", StringComparison.OrdinalIgnoreCase))
            .GroupBy(h => h.Name, StringComparer.OrdinalIgnoreCase).ToList();
        var unsigned = present.Where(g => !wanted.TryGetValue(g.Key, out int n) || n < g.Count()).Select(g => g.Key).ToList();
        var over = wanted.Where(w => (present.FirstOrDefault(p => p.Key.Equals(w.Key, StringComparison.OrdinalIgnoreCase))?.Count() ?? 0) < w.Value).Select(w => w.Key).ToList();
        string note = $"signed: {string.Join(", ", signed.Distinct(StringComparer.OrdinalIgnoreCase))}"
            + (unsigned.Count == 0 ? "; every header field present is signed" : $"; NOT signed (may be changed or added freely): {string.Join(", ", unsigned)}")
            + (over.Count > 0 ? $"; oversigned (no further instance may be added): {string.Join(", ", over)}" : "");
        return (unsigned, note);
    }

    // RFC 6376 §3.2 with Split and Trim.
    private static List<(string Name, string Value)>? ReferenceTags(string text, out string? error)
    {
        error = null;
        var result = new List<(string Name, string Value)>();
        var specs = text.Split(';');
        for (int n = 0; n < specs.Length; n++)
        {
            string spec = specs[n].Trim(' ', '\t', '\r', '\n');
            if (spec.Length == 0)
            {
                if (n == specs.Length - 1) break;
                error = "empty tag (two semicolons in a row)";
                return null;
            }
            int eq = spec.IndexOf('=');
            if (eq < 0)
            {
                error = $"tag '{spec}' has no '='";
                return null;
            }
            string name = spec[..eq].Trim(' ', '\t', '\r', '\n');
            if (name.Length == 0 || !char.IsAsciiLetter(name[0]) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                error = $"'{name}' is not a valid tag name";
                return null;
            }
            if (result.Any(t => t.Name == name))
            {
                error = $"tag '{name}' appears twice";
                return null;
            }
            result.Add((name, spec[(eq + 1)..].Trim(' ', '\t', '\r', '\n')));
        }
        return result;
    }
}
