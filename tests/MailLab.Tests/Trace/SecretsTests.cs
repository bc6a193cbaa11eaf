using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MailLab.Server.Trace;
using MailLab.Tests.Pop3;
using MailLab.Tests.Support;

namespace MailLab.Tests.Trace;

/// <summary>
/// Issue 20 §4 and item 3: every malformed form of every authentication command, over a real lab
/// (implicit TLS on each listener), never puts the password or a credential blob in the in-memory
/// trace, the console or trace.jsonl while <c>reveal-secrets</c> is off; with it on, each case's
/// secret does show (so each row exercises a path that could leak). The table grows: add a row.
/// </summary>
public class SecretsTests
{
    private const string User = "alice@uc.test";

    /// <summary>One case's credentials: a password used nowhere else, and the blobs that carry it.</summary>
    public sealed record Credentials(string Password)
    {
        public string Plain => B64("\0" + User + "\0" + Password);
        public string PasswordB64 => B64(Password);
        /// <summary>An APOP digest (RFC 1939 §7): wrong for any timestamp, but a credential all the same.</summary>
        public string Digest => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes("<1.2@uc.test>" + Password)));
        public string[] All => [Password, Plain, PasswordB64, Digest];
    }

    /// <summary>A row: the protocol, a name, and the lines sent (each answered by one response) built from the credentials.</summary>
    public sealed record Case(SecretProtocol Protocol, string Name, Func<Credentials, string[]> Lines);

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    private static readonly string UserB64 = B64(User);

    public static readonly Case[] Table =
    [
        // SMTP AUTH (RFC 4954 §4): initial responses with junk after them, odd separators, and the 334 exchange.
        new(SecretProtocol.Smtp, "PLAIN initial response", c => [$"AUTH PLAIN {c.Plain}"]),
        new(SecretProtocol.Smtp, "trailing spaces", c => [$"AUTH PLAIN {c.Plain}   "]),
        new(SecretProtocol.Smtp, "trailing dot", c => [$"AUTH PLAIN {c.Plain} ."]),
        new(SecretProtocol.Smtp, "extra argument", c => [$"AUTH PLAIN {c.Plain} extra"]),
        new(SecretProtocol.Smtp, "TAB separators", c => [$"AUTH\tPLAIN\t{c.Plain}"]),
        new(SecretProtocol.Smtp, "lower case", c => [$"auth plain {c.Plain}"]),
        new(SecretProtocol.Smtp, "leading space", c => [$" AUTH PLAIN {c.Plain}"]),
        new(SecretProtocol.Smtp, "double spaces", c => [$"AUTH  PLAIN  {c.Plain}"]),
        new(SecretProtocol.Smtp, "colon after verb", c => [$"AUTH:PLAIN {c.Plain}"]),
        new(SecretProtocol.Smtp, "no mechanism", c => [$"AUTH {c.Plain}"]),
        new(SecretProtocol.Smtp, "unknown mechanism", c => [$"AUTH XTEST {c.Plain}"]),
        new(SecretProtocol.Smtp, "password in clear", c => [$"AUTH PLAIN {c.Password}"]),
        new(SecretProtocol.Smtp, "PLAIN after 334", c => ["AUTH PLAIN", c.Plain]),
        new(SecretProtocol.Smtp, "PLAIN after 334 with junk", c => ["AUTH PLAIN", c.Plain + " junk"]),
        new(SecretProtocol.Smtp, "LOGIN with initial response", c => [$"AUTH LOGIN {UserB64}", c.PasswordB64]),
        new(SecretProtocol.Smtp, "LOGIN after 334", c => ["AUTH LOGIN", UserB64, c.PasswordB64]),
        new(SecretProtocol.Smtp, "LOGIN password not base64", c => ["AUTH LOGIN", UserB64, c.Password]),
        new(SecretProtocol.Smtp, "stray response, no challenge", c => [c.Plain]),
        new(SecretProtocol.Smtp, "stray password response", c => [c.PasswordB64]),

        // IMAP LOGIN (RFC 3501 §6.2.3) and AUTHENTICATE (§6.2.2, SASL-IR RFC 4959), literals (§4.3, RFC 7888).
        new(SecretProtocol.Imap, "LOGIN atom", c => [$"a1 LOGIN {User} {c.Password}"]),
        new(SecretProtocol.Imap, "LOGIN quoted", c => [$"a1 LOGIN {User} \"{c.Password}\""]),
        new(SecretProtocol.Imap, "LOGIN extra argument", c => [$"a1 LOGIN {User} {c.Password} extra"]),
        new(SecretProtocol.Imap, "LOGIN unclosed quote", c => [$"a1 LOGIN {User} \"{c.Password}"]),
        new(SecretProtocol.Imap, "LOGIN TAB separator", c => [$"a1 login {User}\t{c.Password}"]),
        new(SecretProtocol.Imap, "LOGIN one argument", c => [$"a1 LOGIN {c.Password}"]),
        new(SecretProtocol.Imap, "LOGIN without a tag", c => [$"LOGIN {User} {c.Password}"]),
        new(SecretProtocol.Imap, "LOGIN literal password", c => [$"a1 LOGIN \"{User}\" {{{c.Password.Length}}}", c.Password]),
        new(SecretProtocol.Imap, "LOGIN literal name and password", c => [$"a1 LOGIN {{{User.Length}}}", $"{User} {{{c.Password.Length}}}", c.Password]),
        new(SecretProtocol.Imap, "LOGIN non-synchronising literal", c => [$"a1 LOGIN {User} {{{c.Password.Length}+}}\r\n{c.Password}"]),
        new(SecretProtocol.Imap, "AUTHENTICATE SASL-IR", c => [$"a1 AUTHENTICATE PLAIN {c.Plain}"]),
        new(SecretProtocol.Imap, "AUTHENTICATE SASL-IR extra", c => [$"a1 AUTHENTICATE PLAIN {c.Plain} extra"]),
        new(SecretProtocol.Imap, "AUTHENTICATE TAB separators", c => [$"a1 AUTHENTICATE\tPLAIN\t{c.Plain}"]),
        new(SecretProtocol.Imap, "AUTHENTICATE lower case", c => [$"a1 authenticate plain {c.Plain}"]),
        new(SecretProtocol.Imap, "AUTHENTICATE unknown mechanism", c => [$"a1 AUTHENTICATE XTEST {c.Plain}"]),
        new(SecretProtocol.Imap, "AUTHENTICATE literal response", c => [$"a1 AUTHENTICATE PLAIN {{{c.Plain.Length}}}", c.Plain]),
        new(SecretProtocol.Imap, "AUTHENTICATE continuation", c => ["a1 AUTHENTICATE PLAIN", c.Plain]),
        new(SecretProtocol.Imap, "AUTHENTICATE continuation with junk", c => ["a1 AUTHENTICATE PLAIN", c.Plain + " junk"]),
        new(SecretProtocol.Imap, "stray response, no continuation", c => [c.Plain]),

        // POP3 USER/PASS and APOP (RFC 1939 §7), AUTH (RFC 5034).
        new(SecretProtocol.Pop3, "PASS", c => [$"USER {User}", $"PASS {c.Password}"]),
        new(SecretProtocol.Pop3, "PASS TAB", c => [$"USER {User}", $"PASS\t{c.Password}"]),
        new(SecretProtocol.Pop3, "PASS two spaces", c => [$"USER {User}", $"PASS  {c.Password}"]),
        new(SecretProtocol.Pop3, "PASS lower case", c => [$"USER {User}", $"pass {c.Password}"]),
        new(SecretProtocol.Pop3, "PASS with spaces", c => [$"USER {User}", $"PASS {c.Password} extra"]),
        new(SecretProtocol.Pop3, "PASS leading space", c => [$"USER {User}", $" PASS {c.Password}"]),
        new(SecretProtocol.Pop3, "PASS without USER", c => [$"PASS {c.Password}"]),
        new(SecretProtocol.Pop3, "APOP", c => [$"APOP {User} {c.Digest}"]),
        new(SecretProtocol.Pop3, "APOP TAB", c => [$"APOP {User}\t{c.Digest}"]),
        new(SecretProtocol.Pop3, "APOP digest only", c => [$"APOP {c.Digest}"]),
        new(SecretProtocol.Pop3, "AUTH initial response", c => [$"AUTH PLAIN {c.Plain}"]),
        new(SecretProtocol.Pop3, "AUTH initial response extra", c => [$"AUTH PLAIN {c.Plain} extra"]),
        new(SecretProtocol.Pop3, "AUTH TAB", c => [$"AUTH\tPLAIN\t{c.Plain}"]),
        new(SecretProtocol.Pop3, "AUTH unknown mechanism", c => [$"AUTH XTEST {c.Plain}"]),
        new(SecretProtocol.Pop3, "AUTH continuation", c => ["AUTH PLAIN", c.Plain]),
        new(SecretProtocol.Pop3, "AUTH continuation with junk", c => ["AUTH PLAIN", c.Plain + " junk"]),
        new(SecretProtocol.Pop3, "stray response, no continuation", c => [c.Plain]),
    ];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task No_authentication_command_puts_a_credential_in_the_trace_or_console(bool reveal)
    {
        var console = new StringWriter();
        var syncConsole = TextWriter.Synchronized(console);
        var data = TempDir.New("secrets");
        var yaml = Pop3Lab.Yaml(apop: true, revealSecrets: reveal)
            .Replace("pop3: 0, pop3s: 0 }", "pop3: 0, pop3s: 0, imap: 0, imaps: 0 }");
        var logger = TraceLogging.Create(data, syncConsole);
        var cases = Table.Select((c, i) => (Row: c, Creds: new Credentials($"Sekr3t-{i:D3}-Zq{(reveal ? "r" : "h")}"))).ToList();
        var lab = TestLab.FromYaml(yaml, reveal, data, logger).Start();
        try
        {
            foreach (var (row, creds) in cases)
            {
                await RunAsync(lab, row, creds);
            }
        }
        finally
        {
            await lab.DisposeAsync();
            await logger.DisposeAsync(); // flushes the console and the file
        }

        var memory = string.Join("\n", lab.Events().Select(Render));
        var shown = console.ToString();
        var json = string.Join("\n", Directory.GetFiles(Path.Combine(data, "trace"), "trace*.jsonl").Select(File.ReadAllText));
        Assert.Contains("AuthFailed", json); // the file was written
        var failures = new List<string>();
        foreach (var (row, creds) in cases)
        {
            var name = $"{row.Protocol} {row.Name}";
            if (reveal)
            {
                if (!creds.All.Any(memory.Contains)) failures.Add($"{name}: nothing of the secret in the trace with reveal-secrets on");
                if (!creds.All.Any(shown.Contains)) failures.Add($"{name}: nothing of the secret on the console with reveal-secrets on");
                continue;
            }
            foreach (var secret in creds.All)
            {
                if (memory.Contains(secret)) failures.Add($"{name}: '{secret}' in the in-memory trace");
                if (shown.Contains(secret)) failures.Add($"{name}: '{secret}' on the console");
                if (json.Contains(secret)) failures.Add($"{name}: '{secret}' in trace.jsonl");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static string Render(TraceEvent e) =>
        e.Text + " " + string.Join(" ", e.Fields.Values.Select(v => v is not string and IEnumerable<string> list ? string.Join(",", list) : v?.ToString()));

    private static async Task RunAsync(TestLab lab, Case row, Credentials creds)
    {
        var (role, hello) = row.Protocol switch
        {
            SecretProtocol.Smtp => ("MSA", "EHLO laptop"),
            SecretProtocol.Imap => ("IMAP", null),
            _ => ("POP3", (string?)null),
        };
        var ep = lab.Runtime!.EndPoint("uc", role, "implicit");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(ep, timeout.Token);
        await using var ssl = new SslStream(tcp.GetStream(), false, TestPki.Validate);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "mx.uc.test" }, timeout.Token);
        var lines = new ClientLines(ssl);
        await ResponseAsync(row.Protocol, lines, timeout.Token); // greeting
        if (hello is not null)
        {
            await ssl.WriteAsync(Encoding.UTF8.GetBytes(hello + "\r\n"), timeout.Token);
            await ResponseAsync(row.Protocol, lines, timeout.Token);
        }
        foreach (var line in row.Lines(creds))
        {
            await ssl.WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"), timeout.Token);
            // One response per line: the server has traced the line before it answers.
            Assert.NotNull(await ResponseAsync(row.Protocol, lines, timeout.Token));
        }
    }

    private static async Task<string?> ResponseAsync(SecretProtocol protocol, ClientLines lines, CancellationToken ct)
    {
        if (protocol == SecretProtocol.Smtp) return await lines.ReadReplyAsync(ct);
        if (protocol == SecretProtocol.Pop3) return await lines.ReadLineAsync(ct);
        // IMAP: untagged lines up to a tagged line, a continuation request, or an untagged BAD/BYE.
        while (true)
        {
            var line = await lines.ReadLineAsync(ct);
            if (line is null || !line.StartsWith("* ", StringComparison.Ordinal)
                || line.StartsWith("* BAD", StringComparison.Ordinal) || line.StartsWith("* BYE", StringComparison.Ordinal)
                || line.StartsWith("* OK", StringComparison.Ordinal) && line.Contains("IMAP", StringComparison.Ordinal))
            {
                return line;
            }
        }
    }
}
