using System.Buffers;
using System.Net;
using System.Text;
using MailLab.MailAuth.AuthResults;
using MailLab.MailAuth.Dkim;
using MailLab.MailAuth.Dmarc;
using MailLab.MailAuth.Spf;
using MailLab.Protocols.Dns;
using MailLab.Protocols.Imap;
using MailLab.Protocols.Pop3;
using MailLab.Protocols.Sasl;
using MailLab.Protocols.Smtp;
using MailLab.Protocols.Text;
using MailLab.Server.Delivery;
using MailLab.Server.Dns;
using MailLab.Server.Imap;
using MailLab.Server.Lab;

namespace MailLab.Fuzz;

/// <summary>
/// One function per parser that reads bytes from the network, a message or a file a student can write.
/// Each feeds the bytes to the real parser and returns when it gave a value or its documented clean
/// error; anything else (an unexpected exception type, a broken invariant) escapes as an exception,
/// which afl records as a crash. Shared by the afl harness (Program.cs) and the corpus replay test
/// in MailLab.Tests, so a saved corpus is a regression suite.
/// </summary>
public static class FuzzTargets
{
    /// <summary>Target name to function, in the order run.sh fuzzes them.</summary>
    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new Dictionary<string, Action<byte[]>>
    {
        ["smtp-command"] = SmtpCommand,
        ["smtp-data"] = SmtpData,
        ["sasl"] = Sasl,
        ["pop3-command"] = Pop3Command,
        ["imap-command"] = ImapCommand,
        ["dns-wire"] = DnsWireQuery,
        ["zone-file"] = ZoneFile,
        ["spf-record"] = SpfRecordText,
        ["spf-macro"] = SpfMacroText,
        ["dkim-signature"] = DkimSignatureTags,
        ["dkim-key"] = DkimKeyRecord,
        ["dkim-verify"] = DkimVerify,
        ["dmarc-record"] = DmarcRecordText,
        ["auth-results"] = AuthResults,
        ["header-from"] = HeaderFrom,
        ["imap-mime"] = ImapMime,
        ["lab-file"] = LabFile,
        ["openpgp-key"] = OpenPgpKey,
    };

    /// <summary>A finding: the parser broke a rule it promises (thrown so afl counts it as a crash).</summary>
    public sealed class InvariantException(string message) : Exception(message);

    private static void Check(bool ok, string what)
    {
        if (!ok) throw new InvariantException(what);
    }

    private static readonly UTF8Encoding Utf8 = new(false, false);

    // The first byte picks how the rest arrives: in pieces of 1..16 octets, or all at once (0).
    private static (int Chunk, byte[] Input) Split(byte[] data) =>
        data.Length == 0 ? (0, data) : (data[0] % 17, data[1..]);

    /// <summary>
    /// Drives a sans-IO framer the way a PipeReader does: bytes arrive in pieces, each call sees what the
    /// framer left unconsumed plus the new piece (as a multi-segment sequence), and is repeated while it
    /// returns something other than "need more". Returns each non-need-more status with its payload.
    /// </summary>
    private static List<(T Status, string Payload)> Drive<T>(byte[] input, int chunk, T needMore,
        Func<ReadOnlySequence<byte>, (T Status, string Payload, long Consumed)> read) where T : struct, Enum
    {
        var results = new List<(T, string)>();
        var pending = Array.Empty<byte>();
        var offset = 0;
        var steps = 0;
        var size = chunk == 0 ? Math.Max(input.Length, 1) : chunk;
        while (true)
        {
            var (status, payload, consumed) = read(Segments(pending, chunk == 0 ? 64 : chunk));
            Check(consumed >= 0 && consumed <= pending.Length, "framer consumed more than it was given");
            pending = pending[(int)consumed..];
            Check(++steps < 4 * input.Length + 64, "framer makes no progress");
            if (!EqualityComparer<T>.Default.Equals(status, needMore))
            {
                results.Add((status, payload));
                continue;
            }
            if (offset >= input.Length)
            {
                return results;
            }
            var take = Math.Min(size, input.Length - offset);
            pending = [.. pending, .. input.AsSpan(offset, take)];
            offset += take;
        }
    }

    private static string Show<T>(List<(T Status, string Payload)> results) =>
        string.Join(", ", results.Select(r => $"{r.Status} {r.Payload.Length}"));

    /// <summary>The bytes as a sequence of segments of <paramref name="size"/> octets (as a pipe may hand them over).</summary>
    internal static ReadOnlySequence<byte> Segments(byte[] bytes, int size)
    {
        if (bytes.Length <= size || size <= 0)
        {
            return new ReadOnlySequence<byte>(bytes);
        }
        Segment? first = null, last = null;
        for (var i = 0; i < bytes.Length; i += size)
        {
            var memory = bytes.AsMemory(i, Math.Min(size, bytes.Length - i));
            last = last is null ? first = new Segment(memory, 0) : last.Append(memory);
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long index)
        {
            Memory = memory;
            RunningIndex = index;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    /// <summary>SMTP line framer (RFC 5321 §4.5.3.1.4) and command parser, as the session uses them.</summary>
    public static void SmtpCommand(byte[] data)
    {
        var (chunk, input) = Split(data);
        var limits = SmtpLimits.Default;
        var lines = FrameSmtp(input, chunk, limits.MaxCommandLine);
        // Framing must not depend on how the bytes were cut up.
        var whole = FrameSmtp(input, 0, limits.MaxCommandLine);
        Check(lines.SequenceEqual(whole), $"SMTP framing depends on packet boundaries (in pieces of {chunk}: {Show(lines)}; at once: {Show(whole)})");
        foreach (var (status, line) in lines)
        {
            if (status != FrameStatus.Line) continue;
            Check(!line.Contains('\n'), "framed line holds a LF");
            var result = SmtpCommandParser.Parse(line, limits);
            Check(result.Command is not null || result.Error is not null, "SMTP parse gave neither a command nor a reply");
            if (result.Command is { } c && c.Verb == SmtpVerb.Auth && c.InitialResponse is { } ir)
            {
                SaslPlain.TryParse(ir, out _, out _, out _);
            }
        }
    }

    private static List<(FrameStatus, string)> FrameSmtp(byte[] input, int chunk, int maxLine)
    {
        var framer = new CrlfLineFramer(maxLine);
        return Drive(input, chunk, FrameStatus.NeedMoreData, seq =>
        {
            var buffer = seq;
            var status = framer.Read(ref buffer, out var line);
            return (status, line, seq.Length - buffer.Length);
        });
    }

    /// <summary>DATA content reader (RFC 5321 §4.1.1.4, §4.5.2): dot-unstuffing, end of data, bare CR/LF, limits.</summary>
    public static void SmtpData(byte[] data)
    {
        var (chunk, input) = Split(data);
        const long max = 4096;
        var whole = ReadData(input, 0, max, 200);
        var pieces = ReadData(input, chunk, max, 200);
        Check(whole.Output.AsSpan().SequenceEqual(pieces.Output) && whole.Flags == pieces.Flags && whole.Left == pieces.Left,
            "DATA reading depends on packet boundaries");
        Check(whole.Output.Length <= max, "DATA wrote past the size limit");
        if (whole.Flags.Complete)
        {
            // RFC 5321 §4.1.1.4: data ends only at CRLF "." CRLF (the DATA line's CRLF counts).
            var consumed = input.AsSpan(0, input.Length - whole.Left);
            Check(consumed.EndsWith("\r\n.\r\n"u8) || consumed.SequenceEqual(".\r\n"u8), "DATA ended without CRLF.CRLF");
        }
    }

    private readonly record struct DataFlags(bool Complete, bool TooLarge, bool LineTooLong, bool Bare, long Size);

    private static (byte[] Output, DataFlags Flags, int Left) ReadData(byte[] input, int chunk, long max, int maxLine)
    {
        var reader = new SmtpDataReader(max, maxLine);
        var output = new ArrayBufferWriter<byte>();
        var size = chunk == 0 ? Math.Max(input.Length, 1) : chunk;
        var rest = 0;
        for (var offset = 0; offset < input.Length && !reader.IsComplete; offset += size)
        {
            var piece = input.AsSpan(offset, Math.Min(size, input.Length - offset)).ToArray();
            var buffer = Segments(piece, 3);
            if (reader.Read(ref buffer, output) == DataStatus.Complete)
            {
                rest = (int)buffer.Length + (input.Length - offset - piece.Length);
            }
        }
        return (output.WrittenSpan.ToArray(), new DataFlags(reader.IsComplete, reader.TooLarge, reader.LineTooLong, reader.BareLineEnding, reader.Size), rest);
    }

    /// <summary>SASL PLAIN (RFC 4616) and LOGIN responses, each line of the input one client response.</summary>
    public static void Sasl(byte[] data)
    {
        foreach (var line in Utf8.GetString(data).Split('\n'))
        {
            var response = line.TrimEnd('\r');
            SaslCancel.IsCancel(response);
            if (SaslPlain.TryParse(response, out var authzid, out var authcid, out var password))
            {
                Check(authcid.Length > 0 && password.Length > 0 && !(authzid + authcid + password).Contains('\0'), "PLAIN gave an empty or NUL-holding part");
            }
            SaslLogin.TryDecode(response, out _);
        }
    }

    /// <summary>POP3 command lines (RFC 1939 §3), framed as the session frames them.</summary>
    public static void Pop3Command(byte[] data)
    {
        var (chunk, input) = Split(data);
        foreach (var (status, line) in FrameSmtp(input, chunk, Pop3Limits.MaxCommandLine))
        {
            if (status != FrameStatus.Line) continue;
            var result = Pop3CommandParser.Parse(line);
            Check((result.Command is null) != (result.Error is null), "POP3 parse gave both or neither of command and error");
            if (result.Command is { Verb: Pop3Verb.Auth } c && c.Arguments.Count > 1)
            {
                SaslPlain.TryParse(c.Arguments[1], out _, out _, out _);
            }
        }
    }

    /// <summary>
    /// IMAP framer (lines, {n} and {n+} literals, RFC 3501 §4.3, RFC 7888) and parser, then the argument
    /// parsers the session applies: sequence sets, FETCH items, SEARCH keys, mailbox names.
    /// </summary>
    public static void ImapCommand(byte[] data)
    {
        var (chunk, input) = Split(data);
        var frames = FrameImap(input, chunk);
        var whole = FrameImap(input, 0);
        Check(frames.SequenceEqual(whole), $"IMAP framing depends on packet boundaries (in pieces of {chunk}: {Show(frames)}; at once: {Show(whole)})");
        foreach (var (status, frame) in frames)
        {
            if (status != ImapFrameStatus.Complete) continue;
            var (command, error) = ImapParser.Parse(Encoding.Latin1.GetBytes(frame));
            Check((command is null) != (error is null), "IMAP parse gave both or neither of command and error");
            if (command is null) continue;
            var args = command.Arguments;
            foreach (var a in args)
            {
                if (a.Kind == ImapValueKind.Atom && SequenceSet.TryParse(a.Text, out var set))
                {
                    var resolved = set.Resolve(50);
                    for (var k = 0; k < resolved.Count; k++)
                    {
                        // Sorted, merged, never 0 (RFC 3501 §9 nz-number).
                        Check(resolved[k].Low >= 1 && resolved[k].Low <= resolved[k].High
                            && (k == 0 || (ulong)resolved[k].Low > (ulong)resolved[k - 1].High + 1), "sequence set resolved unsorted, unmerged or to 0");
                    }
                }
                if (a.IsAString && !a.IsNil)
                {
                    ModifiedUtf7.TryDecode(a.Text, out _);
                }
            }
            switch (command.Name)
            {
                case "FETCH" when args.Count >= 2:
                    if (FetchItem.ParseList(args[1], out _) is { } items)
                    {
                        foreach (var item in items) item.ResponseName();
                    }
                    break;
                case "SEARCH" when args.Count >= 1:
                    SearchKey.Parse(args, out _);
                    break;
            }
        }
    }

    private static List<(ImapFrameStatus, string)> FrameImap(byte[] input, int chunk)
    {
        // Small limits, so the fuzzer reaches the limit paths.
        var framer = new ImapFramer(maxLine: 300, maxLiteral: 2000);
        return Drive(input, chunk, ImapFrameStatus.NeedMoreData, seq =>
        {
            var buffer = seq;
            var status = framer.Read(ref buffer);
            var payload = status switch
            {
                ImapFrameStatus.Complete => Encoding.Latin1.GetString(framer.Frame.Span),
                ImapFrameStatus.LineTooLong or ImapFrameStatus.LiteralTooLarge or ImapFrameStatus.NonSyncLiteralTooLarge => framer.RefusedTag ?? "",
                _ => "",
            };
            if (status == ImapFrameStatus.Complete)
            {
                Check(framer.Frame.Length <= framer.MaxCommand, "IMAP frame larger than MaxCommand");
            }
            return (status, payload, seq.Length - buffer.Length);
        });
    }

    /// <summary>DNS query decoder (RFC 1035 §4.1), over UDP and through the TCP length framing (§4.2.2), and the answer writer.</summary>
    public static void DnsWireQuery(byte[] data)
    {
        Query(data);
        var tcp = new DnsTcpFramer();
        var (chunk, input) = Split(data);
        var size = chunk == 0 ? Math.Max(input.Length, 1) : chunk;
        for (var offset = 0; offset < input.Length; offset += size)
        {
            tcp.Append(input.AsSpan(offset, Math.Min(size, input.Length - offset)));
            while (tcp.TryRead() is { } message)
            {
                Query(message);
            }
        }

        static void Query(byte[] message)
        {
            var q = DnsWire.ParseQuery(message, out var id, out var problem);
            Check((q is null) != (problem is null), "DNS parse gave both or neither of query and problem");
            var response = DnsWire.WriteResponse(q, id, q is null ? DnsRcode.FormErr : DnsRcode.NXDomain, true, [], [], DnsWire.ClassicUdpLimit, out _);
            Check(response.Length >= 12 && response.Length <= DnsWire.ClassicUdpLimit, "DNS response outside 12..512 octets");
        }
    }

    /// <summary>Zone master files (RFC 1035 §5) as an instructor or a student with the zones volume writes them.</summary>
    public static void ZoneFile(byte[] data)
    {
        var result = ZoneFileParser.Parse(Utf8.GetString(data), "fuzz.zone", "fuzz.test");
        Check(result.Errors.All(e => e.ToString().Length > 0), "zone error without text");
    }

    /// <summary>
    /// An upload to the key server (HKP /pks/add keytext, or a key file in pgp/public): armored or binary
    /// OpenPGP packets. Keys or a refusal, never both, never an exception; every key found can be listed.
    /// </summary>
    public static void OpenPgpKey(byte[] data)
    {
        var parsed = MailLab.Server.Web.PgpKeyText.Parse(data);
        Check((parsed.Keys.Count == 0) == (parsed.Problem is not null), "key parse gave both or neither of keys and a problem");
        if (parsed.Keys.Count == 0) return;
        Check(MailLab.Server.Web.HkpIndex.MachineReadable(parsed.Keys, verbose: true).StartsWith("info:1:", StringComparison.Ordinal), "index without info line");
        Check(MailLab.Server.Web.PgpKeyText.Armor(parsed.Keys).Length > 0, "empty armor");
    }

    /// <summary>SPF records (RFC 7208 §4.6, §12) as a TXT answer gives them.</summary>
    public static void SpfRecordText(byte[] data)
    {
        var text = Utf8.GetString(data);
        SpfRecord.IsSpfRecord(text);
        var (record, error) = SpfRecord.Parse(text);
        Check((record is null) != (error is null), "SPF parse gave both or neither of record and error");
        if (record is null) return;
        foreach (var term in record.Terms)
        {
            var spec = term switch
            {
                SpfMechanism m => m.DomainSpec,
                SpfModifier m => m.Value,
                _ => null,
            };
            if (spec is not null)
            {
                Expand(spec, explain: false);
            }
        }
    }

    /// <summary>SPF macro strings (RFC 7208 §7): syntax check and expansion against a fixed client.</summary>
    public static void SpfMacroText(byte[] data)
    {
        var text = Utf8.GetString(data);
        SpfMacro.Validate(text, explain: true);
        Expand(text, explain: true);
        Expand(text, explain: false);
    }

    // Built on first use, never in the type initializer: the instrumented assemblies may only run once
    // SharpFuzz has set up afl's shared memory (`list` runs them without it).
    private static class MacroContexts
    {
        public static readonly SpfMacroContext[] All =
        [
            new() { Ip = IPAddress.Parse("192.0.2.7"), Sender = "strong-bad@email.example.com", Domain = "email.example.com", Helo = "mx.example.org", Receiver = "mx.uc.test", Now = DateTimeOffset.UnixEpoch },
            new() { Ip = IPAddress.Parse("2001:db8::cb01"), Sender = "@", Domain = "", Helo = "", Now = DateTimeOffset.UnixEpoch, ValidatedDomain = _ => Task.FromResult("mx.example.org") },
        ];
    }

    private static void Expand(string text, bool explain)
    {
        foreach (var ctx in MacroContexts.All)
        {
            var (value, error) = SpfMacro.ExpandAsync(text, ctx, explain).GetAwaiter().GetResult();
            Check((value is null) != (error is null), "macro expansion gave both or neither of value and error");
        }
    }

    /// <summary>DKIM-Signature field values (RFC 6376 §3.2 tag-list, §3.5 tags).</summary>
    public static void DkimSignatureTags(byte[] data)
    {
        // The verifier reads header fields as Latin-1 octets (DkimCanonicalizer.Octets).
        var text = Encoding.Latin1.GetString(data);
        var sig = DkimSignature.Parse(text, out var error, out _);
        Check((sig is null) != (error is null), "DKIM-Signature parse gave both or neither of signature and error");
        DkimVerifier.WithoutSignatureValue(text);
    }

    /// <summary>DKIM key records (RFC 6376 §3.6.1) as a TXT answer gives them.</summary>
    public static void DkimKeyRecord(byte[] data)
    {
        var key = DkimPublicKey.Parse(Utf8.GetString(data), out var error);
        Check((key is null) != (error is null), "DKIM key parse gave both or neither of key and error");
        if (key is null) return;
        key.Mismatch(DkimAlgorithm.RsaSha256);
        key.Mismatch(DkimAlgorithm.Ed25519Sha256);
        key.Verify(key.KeyType == "ed25519" ? DkimAlgorithm.Ed25519Sha256 : DkimAlgorithm.RsaSha256, "x"u8, new byte[key.Bits / 8]);
    }

    /// <summary>
    /// A whole received message through the DKIM verifier (RFC 6376 §6): header parsing, every
    /// DKIM-Signature, canonicalisation, body hash, key lookup (answered from memory) and signature check.
    /// </summary>
    public static void DkimVerify(byte[] data)
    {
        var results = Verifier.Instance.VerifyAsync(data).GetAwaiter().GetResult();
        Check(results.All(r => r.Reason.Length > 0), "DKIM verdict without a reason");
    }

    private static class Verifier
    {
        public static readonly DkimVerifier Instance = new(new KeysInMemory(), new FixedTime());
    }

    // Selector "brisbane" gets RFC 8463's Ed25519 key, every other name dkimpy's 1024-bit RSA test key.
    private sealed class KeysInMemory : IDkimResolver
    {
        public Task<DnsAnswer<string>> LookupTxtAsync(string name, CancellationToken ct) => Task.FromResult(
            name.StartsWith("nokey.", StringComparison.OrdinalIgnoreCase) ? DnsAnswer<string>.None()
            : DnsAnswer<string>.Found([name.StartsWith("brisbane.", StringComparison.OrdinalIgnoreCase)
                ? "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
                : "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"]));
    }

    private sealed class FixedTime : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }

    /// <summary>DMARC policy records (RFC 7489 §6.3 / the DMARCbis tags).</summary>
    public static void DmarcRecordText(byte[] data)
    {
        var record = DmarcRecordParser.Parse(Utf8.GetString(data), out var error);
        Check((record is null) != (error is null), "DMARC parse gave both or neither of record and error");
    }

    /// <summary>
    /// Incoming Authentication-Results fields (RFC 8601 §2.2 authserv-id, §5 removal of forged ones)
    /// through the MTA's header rewrite, with a Subject tag.
    /// </summary>
    public static void AuthResults(byte[] data)
    {
        AuthenticationResults.AuthservId(Encoding.Latin1.GetString(data));
        var spool = InMemorySpool(data);
        var rewritten = HeaderRewrite.ApplyAsync(spool, Path.GetTempPath(), "Authentication-Results", value =>
            AuthenticationResults.AuthservId(value) is { } id && id.Equals("mx.bank.test", StringComparison.OrdinalIgnoreCase),
            "[DMARC FAIL]", CancellationToken.None).GetAwaiter().GetResult();
        rewritten?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        spool.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>The header From a message carries: the DMARC author domain (RFC 7489 §3.1) and the delivery summary.</summary>
    public static void HeaderFrom(byte[] data)
    {
        var author = FromExtractor.Extract(data);
        Check(author.Domain is not null || author.Problem is not null, "neither an author domain nor a problem");
        var spool = InMemorySpool(data);
        HeaderSummary.Read(spool);
        spool.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    // Under the spill threshold a spool stays in memory, so the target does no file I/O.
    private static MessageSpool InMemorySpool(byte[] data)
    {
        var spool = new MessageSpool(Path.GetTempPath(), threshold: 1 << 20);
        spool.Write(data);
        return spool;
    }

    private static class Sections
    {
        public static readonly FetchItem[] All =
        [
            .. new[] { "BODY[]", "BODY[HEADER]", "BODY[TEXT]", "BODY[1]", "BODY[1.MIME]", "BODY[2.1]", "BODY[1.2.HEADER]", "BODY[3.TEXT]",
                "BODY[HEADER.FIELDS (FROM SUBJECT)]", "BODY[2.HEADER.FIELDS.NOT (TO)]", "BODY[]<5.10>", "RFC822.HEADER", "RFC822.TEXT" }
                .Select(s => FetchItem.Parse(s, out _) ?? throw new InvalidOperationException(s)),
        ];
    }

    /// <summary>
    /// The octets the store accepted, through every path the IMAP FETCH writers take: header block,
    /// HEADER.FIELDS filter, ENVELOPE, BODY and BODYSTRUCTURE, section extraction (RFC 3501 §6.4.5, §7.4.2).
    /// </summary>
    public static void ImapMime(byte[] data)
    {
        var header = HeaderBlockReader.ReadAsync(new MemoryStream(data, writable: false), CancellationToken.None).GetAwaiter().GetResult();
        var end = HeaderBlock.EndOfHeader(data);
        Check(end == -1 || end <= data.Length, "end of header past the message");
        HeaderBlock.Filter(header, ["From", "Subject"], not: false);
        HeaderBlock.Filter(header, ["To"], not: true);
        var w = new ImapWriter(new ArrayBufferWriter<byte>());
        ImapEnvelope.Write(w, ImapEnvelope.Parse(header));
        var parts = MessageParts.Parse(data);
        ImapEnvelope.Write(w, parts.Message.Headers);
        parts.WriteStructure(w, extensible: true);
        parts.WriteStructure(w, extensible: false);
        foreach (var item in Sections.All)
        {
            if (parts.Section(item) is { } bytes)
            {
                Check(bytes.Length <= data.Length + 2, "section larger than the message");
            }
        }
    }

    /// <summary>Lab files (YAML): every error must be a LabDefinitionException with file, line and column.</summary>
    public static void LabFile(byte[] data)
    {
        try
        {
            LabDefinitionLoader.Parse(Utf8.GetString(data), "fuzz.yml");
        }
        catch (LabDefinitionException e)
        {
            Check(e.Errors.Count > 0 && e.Errors.All(x => x.Line >= 0 && x.Column >= 0), "lab error without a place");
        }
    }
}
