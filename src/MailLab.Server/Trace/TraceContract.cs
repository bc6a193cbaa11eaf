using System.Collections.Frozen;

namespace MailLab.Server.Trace;

/// <summary>The JSON type of a trace field's value (null is always allowed: "no value").</summary>
internal enum TraceFieldType
{
    /// <summary>A JSON string.</summary>
    String,
    /// <summary>A whole number.</summary>
    Integer,
    /// <summary>A number that may have a fraction.</summary>
    Number,
    /// <summary>true or false.</summary>
    Boolean,
    /// <summary>A JSON array of strings.</summary>
    StringList,
}

/// <summary>
/// The event contract as code: for every <see cref="TraceKind"/>, the names and types of its own fields
/// (beside the common properties of docs/events.md section 1). One source for the trace writer
/// (<see cref="Tracer.Emit"/> checks what it is given, in <see cref="Strict"/> mode), the exercise
/// checker (an objective may only name a field its kind has) and the test that docs/events.md
/// documents exactly these fields. A kind emitted by several roles declares the union of their fields.
/// </summary>
internal static class TraceContract
{
    // One line per kind: "Name" is a string; "Name:int", ":num", ":bool", ":list" (of strings) say otherwise.
    // Adding a field: add it here and to the kind's table in docs/events.md (a test compares the two).
    private static readonly FrozenDictionary<TraceKind, TraceField[]> Kinds = new Dictionary<TraceKind, string>
    {
        [TraceKind.ListenerStarted] = "Address Port:int Tls",
        [TraceKind.ListenerFailed] = "EndPoint Reason",
        [TraceKind.LabStarted] = "Lab DataDirectory Sites:list Dns:bool",
        [TraceKind.LabStopping] = "",
        [TraceKind.SessionOpened] = "Client ClientPort:int LocalEndpoint Profile ImplicitTls:bool LabRelay:bool",
        [TraceKind.SessionClosed] = "Reason DurationMs:int",
        [TraceKind.SessionRefused] = "Client Reason",
        [TraceKind.InternalError] = "Error Check Reason",
        [TraceKind.TlsStarted] = "Implicit:bool",
        [TraceKind.TlsEstablished] = "Version Cipher Bits:int Certificate Direction PeerSubject Verified:bool Host",
        [TraceKind.TlsFailed] = "Reason",
        [TraceKind.PlaintextInjection] = "Octets:int Preview",
        [TraceKind.CommandReceived] = "Line Verb Command Tag",
        [TraceKind.ReplySent] = "Code:int Enhanced Lines:list Line Status Untraced:int RespCode ReplyText BodyLines:int BodyOctets:int",
        [TraceKind.AuthSucceeded] = "Mechanism User Tls:bool",
        [TraceKind.AuthFailed] = "Mechanism Login User Password Failures:int",
        [TraceKind.EnvelopeMailFrom] = "MailFrom Domain AuthenticatedUser Parameters:list",
        [TraceKind.EnvelopeRcptTo] = "RcptTo Domain Local:bool",
        [TraceKind.PolicyRejected] = "Stage Address Reason Code:int Enhanced",
        [TraceKind.MessageReceived] = "MailFrom HeaderFrom HeaderFromDomain EnvelopeDomain FromMismatch:bool Recipients:list Size:int Subject MessageId Helo Client AuthenticatedUser Tls:bool FromIsAuthenticatedUser:bool",
        [TraceKind.MessageRejected] = "Reason Size:int Code:int",
        [TraceKind.HeaderAdded] = "Header Value Recipient",
        [TraceKind.LimitExceeded] = "Limit Max:num User",
        [TraceKind.LocalDelivery] = "Recipient Folder Uid:int Size:int Path",
        [TraceKind.DeliveryFailed] = "Recipients:list Reason",
        [TraceKind.DnsQuery] = "Client Name Type Transport Id:int Problem",
        [TraceKind.DnsAnswer] = "Rcode Name Type Transport Answers:list Authority:list Authoritative:bool Truncated:bool",
        [TraceKind.SpfStep] = "Identity Domain Term Query Answer Matched:bool Lookups:int VoidLookups:int Note",
        [TraceKind.SpfResult] = "Identity Result Domain DecidingTerm Explanation Problem ClientIp Sender Dnssec",
        [TraceKind.DkimStep] = "Step Index:int Detail Ok:bool Query Answer Domain Selector Algorithm SignedHeaders:list BodyHash KeyBits:int KeyFile Record",
        [TraceKind.DkimResult] = "Index:int Result Reason Domain Selector Algorithm BodyHashClaimed BodyHashComputed HeaderHashComputed Identity Canonicalization KeyQuery KeyAnswer KeyBits:int BodyLength:int SignedHeaders:list UnsignedHeaders:list Dnssec",
        [TraceKind.DmarcEvaluated] = "Result FromDomain Policy Disposition SpfAligned:bool DkimAligned:bool Reason PolicyTag PolicyDomain Record OrgDomain Mode Requested Override Folder FromProblem Alignments:list Steps:list Dnssec",
        [TraceKind.RelayAttempt] = "Step Domain Outcome Hosts:list Recipients:list From To Host Preference:int Reason",
        [TraceKind.RelayOutcome] = "Recipient State Reply Status Reason RemoteMta Attempts:int NextAttempt RemoteId",
        [TraceKind.MailboxAccess] = "User Folder Action Messages:int Recent:int Count:int Uid:int Size:int Target NewName Octets:int Number:int UniqueId Unmarked:int Reason Uids:list",
        [TraceKind.QueueEntryAdded] = "MailFrom Recipients:list Size:int Path",
        [TraceKind.QueueEntryRemoved] = "Delivered:list Failed:list",
        [TraceKind.QueueLoaded] = "Directory Entries:int Errors:list TemporaryRemoved:int",
        [TraceKind.QueueFlushRequested] = "Source",
        [TraceKind.RelayCommandSent] = "Line Lines:int Octets:int",
        [TraceKind.RelayReplyReceived] = "Line Code:int",
        [TraceKind.DsnSent] = "Dsn To Recipients:list Statuses:list",
        [TraceKind.DsnSuppressed] = "Reason Recipients:list",
        [TraceKind.ZoneLoaded] = "File Zone Records:int Serial:int Removed:bool",
        [TraceKind.ZoneReloadFailed] = "File Line:int Column:int Problem Errors:list KeptLastGood:bool",
        [TraceKind.DnsRateLimited] = "Client Limit:int Dropped:int Slipped:int Seconds:num",
        [TraceKind.HeaderRemoved] = "Header Removed:int",
        [TraceKind.DmarcReportSent] = "Report PolicyDomain ReportId Messages:int SentTo:list Refused:list Size:int Begin:int End:int QueueId Reason",
        // S/MIME (issue 15, part 1).
        [TraceKind.SmimeCertificate] = "Step Address Subject Serial Issuer NotAfter File Reason",
        [TraceKind.SmimeStep] = "Step Detail Ok:bool",
        [TraceKind.SmimeResult] = "Structure Verdict Reason Signer Subject Serial Issuer Chain:list NotBefore NotAfter Revocation RevokedAt SignerAddresses:list HeaderFrom FromMatches:bool DigestAlgorithm ContentHash SigningTime Recipients:list KeyTransport ContentCipher Decrypted:bool InnerStructure",

        // OpenPGP (issue 15 part 2).
        [TraceKind.OpenPgpStep] = "Step Detail Address KeyId Fingerprint UserId File",
        [TraceKind.OpenPgpResult] = "Result Structure Reason KeyId Fingerprint SignerUserId KeySource Hash Algorithm From FromMatches:bool Validity:list EncryptedFor:list Cipher Steps:list",

        // The lab's HTTP service (issue 15).
        [TraceKind.WebRequest] = "Method Path Query Status:int Client Octets:int DurationMs:int",
        [TraceKind.KeyServerLookup] = "Op Search Match Found:int Fingerprints:list Client",
        [TraceKind.KeyServerUpload] = "Source Client Status:int Fingerprints:list UserIds:list Added:int Merged:int Unchanged:int Reason",
        [TraceKind.DnsForged] = "Victim Client Name Type Forged:list Genuine:list CopiedSignatures:int Transport Truncated:bool",
        [TraceKind.MailCaptured] = "Recipients:list Mailbox MailFrom",
        [TraceKind.ZoneSigned] = "Zone Algorithm:int KskTag:int ZskTag:int Rrsets:int Nsec:int Serial:int Milliseconds:num Broken",
        [TraceKind.DnssecValidation] = "Name Type Status Reason Steps:list Checks:int",

        // The relay's TLS policy: DANE, MTA-STS, TLS-RPT (issue 16 part 4).
        [TraceKind.TlsPolicy] = "Step Domain Host Policy MxStatus TlsaStatus Tlsa:list PolicyId Mode Mx:list MaxAge:int Source Result FailureType Reason",
        [TraceKind.TlsReportSent] = "PolicyDomain ReportId Successes:int Failures:int PolicyTypes:list SentTo:list Refused:list Size:int Begin:int End:int Reason",
        // The STARTTLS stripping attack (issue 16 part 5).
        [TraceKind.AttackerSaw] = "Direction Line Client Server Octets:int Subject Reason MessageId",
        [TraceKind.StarttlsStripped] = "Action Line Client Server",
        // The dashboard (issue 17).
        [TraceKind.DashboardSignIn] = "User Result As Remote",
    }.ToFrozenDictionary(kv => kv.Key, kv => Parse(kv.Value));

    /// <summary>
    /// The common properties an exercise objective may test like a field (docs/events.md section 1);
    /// they are not fields of any kind and must never be declared as one.
    /// </summary>
    public static IReadOnlyList<string> CommonNames { get; } = ["Session", "Message", "Site", "Text", "Origin"];

    /// <summary>
    /// When true, tracers made from then on (<see cref="Tracer.CheckContract"/>) throw
    /// <see cref="TraceContractException"/> from <see cref="Tracer.Emit"/> for a field the event's kind does not
    /// declare or a value of another type. The test assembly turns it on for every test (and
    /// for the <c>maillab</c> processes it starts, through <c>MAILLAB_TRACE_STRICT=1</c>), so the whole
    /// suite proves the declaration complete. It is off in a running lab: a field missing from the
    /// declaration is a documentation slip, and the event with its field is worth more to the student than
    /// an exception that would end their session (the exercise checker already refuses objectives that
    /// name undeclared fields).
    /// </summary>
    public static bool Strict { get; set; } = Environment.GetEnvironmentVariable("MAILLAB_TRACE_STRICT") == "1";

    private static readonly FrozenDictionary<(TraceKind, string), TraceFieldType> Types =
        Kinds.SelectMany(k => k.Value.Select(f => (Key: (k.Key, f.Name), f.Type))).ToFrozenDictionary(x => x.Key, x => x.Type);

    /// <summary>The fields <paramref name="kind"/> declares, in declaration order.</summary>
    public static IReadOnlyList<TraceField> FieldsOf(TraceKind kind) => Kinds.TryGetValue(kind, out var fields) ? fields : [];

    /// <summary>The declared type of <paramref name="kind"/>'s field <paramref name="field"/> (case-sensitive), or null when it has none.</summary>
    public static TraceFieldType? TypeOf(TraceKind kind, string field) => Types.TryGetValue((kind, field), out var type) ? type : null;

    /// <summary>Whether every kind of the enum has a declaration (a test holds this true).</summary>
    public static IEnumerable<TraceKind> Undeclared => Enum.GetValues<TraceKind>().Where(k => !Kinds.ContainsKey(k));

    /// <summary>Whether an objective may name <paramref name="field"/> for an event of <paramref name="kind"/>.</summary>
    public static bool IsKnown(TraceKind kind, string field) => TypeOf(kind, field) is not null || CommonNames.Contains(field);

    /// <summary>
    /// The field of <paramref name="kind"/> (or common name) that <paramref name="field"/> most likely
    /// misspells: the same name in another case, else one at most two edits away; null when none is close.
    /// </summary>
    public static string? Suggest(TraceKind kind, string field)
    {
        var names = FieldsOf(kind).Select(f => f.Name).Concat(CommonNames).ToList();
        return names.FirstOrDefault(n => string.Equals(n, field, StringComparison.OrdinalIgnoreCase))
            ?? names.Select(n => (Name: n, Distance: Lab.YamlFields.EditDistance(n.ToLowerInvariant(), field.ToLowerInvariant())))
                .Where(c => c.Distance <= 2).OrderBy(c => c.Distance).Select(c => c.Name).FirstOrDefault();
    }

    /// <summary>Throws <see cref="TraceContractException"/> unless every field is declared for the kind with a value of its type.</summary>
    public static void Check(TraceKind kind, string text, IReadOnlyDictionary<string, object?> fields)
    {
        foreach (var (name, value) in fields)
        {
            if (TypeOf(kind, name) is not { } type)
            {
                throw new TraceContractException(
                    $"trace event {kind} ('{text}') has field '{name}', which {kind} does not declare: add it to TraceContract.cs and to {kind}'s table in docs/events.md");
            }
            if (value is not null && !Fits(type, value))
            {
                throw new TraceContractException(
                    $"trace event {kind} ('{text}') has field '{name}' of .NET type {value.GetType().Name}, but TraceContract.cs declares it {type}");
            }
        }
    }

    private static bool Fits(TraceFieldType type, object value) => type switch
    {
        TraceFieldType.String => value is string,
        TraceFieldType.Integer => value is int or long or uint or short or ushort or byte or sbyte or ulong,
        TraceFieldType.Number => value is double or float or decimal or int or long,
        TraceFieldType.Boolean => value is bool,
        TraceFieldType.StringList => value is not string && value is IEnumerable<string>,
        _ => false,
    };

    private static TraceField[] Parse(string spec) =>
        spec.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(item =>
        {
            int colon = item.IndexOf(':');
            string name = colon < 0 ? item : item[..colon];
            var type = (colon < 0 ? "" : item[(colon + 1)..]) switch
            {
                "" => TraceFieldType.String,
                "int" => TraceFieldType.Integer,
                "num" => TraceFieldType.Number,
                "bool" => TraceFieldType.Boolean,
                "list" => TraceFieldType.StringList,
                var t => throw new InvalidOperationException($"TraceContract: unknown type '{t}' for '{name}'"),
            };
            return new TraceField(name, type);
        }).ToArray();
}

/// <summary>One declared field of a kind: its name (PascalCase, case-sensitive) and JSON type.</summary>
internal sealed record TraceField(string Name, TraceFieldType Type);

/// <summary>An event broke <see cref="TraceContract"/> while <see cref="TraceContract.Strict"/> was on.</summary>
internal sealed class TraceContractException(string message) : InvalidOperationException(message);
