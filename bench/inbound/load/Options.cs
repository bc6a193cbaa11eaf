using System.Globalization;

namespace MailLab.Bench.InboundLoad;

/// <summary>The generator's command line.</summary>
internal sealed record Options
{
    public const string Usage = """
        usage: inbound-load --host A --port P --to RCPT --rsa-key PEM --ed-key PEM [options]
          --sessions N        concurrent sessions                              [1]
          --messages N        messages to send                                 [100]
          --size BYTES        message size before the DKIM signatures          [10240]
          --pass-domain D     sender domain whose SPF passes for --pass-net     [pass.test]
          --fail-domain D     sender domain whose SPF fails for --fail-net      [fail.test]
          --pass-net A.B.C    client addresses A.B.C.1 .. A.B.C.clients         [127.0.50]
          --fail-net A.B.C    the same for the failing domain                  [127.0.60]
          --clients N         client addresses per net                         [10]
          --rsa-selector S    selector of the rsa-sha256 key                   [rsa]
          --ed-selector S     selector of the ed25519-sha256 key               [ed]
          --helo NAME         EHLO name                                        [load.test]
          --tag T             unique per run: goes into Message-ID and Subject [run]
          --reuse             many messages per connection (default: one)
          --timeout SECONDS   per reply                                        [60]
        Half the messages (even numbers) are from --pass-domain, half from --fail-domain.
        """;

    public string Host { get; private init; } = "";
    public int Port { get; private init; }
    public string To { get; private init; } = "";
    public string RsaKey { get; private init; } = "";
    public string EdKey { get; private init; } = "";
    public int Sessions { get; private init; } = 1;
    public int Messages { get; private init; } = 100;
    public int Size { get; private init; } = 10240;
    public string PassDomain { get; private init; } = "pass.test";
    public string FailDomain { get; private init; } = "fail.test";
    public string PassNet { get; private init; } = "127.0.50";
    public string FailNet { get; private init; } = "127.0.60";
    public int Clients { get; private init; } = 10;
    public string RsaSelector { get; private init; } = "rsa";
    public string EdSelector { get; private init; } = "ed";
    public string Helo { get; private init; } = "load.test";
    public string Tag { get; private init; } = "run";
    public bool Reuse { get; private init; }
    public TimeSpan ReplyTimeout { get; private init; } = TimeSpan.FromSeconds(60);

    /// <summary>The options, or null when they are incomplete or out of range.</summary>
    public static Options? Parse(string[] args)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a == "--reuse") { o = o with { Reuse = true }; continue; }
            if (i + 1 >= args.Length) return null;
            string v = args[++i];
            int N(int min, int max) => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max ? n : -1;
            o = a switch
            {
                "--host" => o with { Host = v },
                "--port" => o with { Port = N(1, 65535) },
                "--to" => o with { To = v },
                "--rsa-key" => o with { RsaKey = v },
                "--ed-key" => o with { EdKey = v },
                "--sessions" => o with { Sessions = N(1, 10_000) },
                "--messages" => o with { Messages = N(1, 10_000_000) },
                "--size" => o with { Size = N(100, 50_000_000) },
                "--pass-domain" => o with { PassDomain = v },
                "--fail-domain" => o with { FailDomain = v },
                "--pass-net" => o with { PassNet = v },
                "--fail-net" => o with { FailNet = v },
                "--clients" => o with { Clients = N(1, 254) },
                "--rsa-selector" => o with { RsaSelector = v },
                "--ed-selector" => o with { EdSelector = v },
                "--helo" => o with { Helo = v },
                "--tag" => o with { Tag = v },
                "--timeout" => o with { ReplyTimeout = TimeSpan.FromSeconds(Math.Max(1, N(1, 3600))) },
                _ => null,
            };
            if (o is null) return null;
        }
        bool ok = o.Host != "" && o.Port > 0 && o.To != "" && o.RsaKey != "" && o.EdKey != ""
            && o.Sessions > 0 && o.Messages > 0 && o.Size > 0 && o.Clients > 0;
        return ok ? o : null;
    }
}
