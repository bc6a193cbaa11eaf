using System.Text;

namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// Exercise 3: AUTH in plaintext (only with the switch <c>allow-plaintext-auth</c>: what a sniffer
/// sees), then the same login after STARTTLS (RFC 3207) and on the implicit-TLS port (RFC 8314).
/// </summary>
internal sealed class StartTlsDemo : IExerciseDemo
{
    public int Number => 3;

    public async Task RunAsync(DemoContext ctx, CancellationToken ct)
    {
        var user = ctx.User("uc");
        var msa = ctx.EndPoint("uc", "MSA", "starttls");

        ctx.Step($"Plaintext: EHLO and AUTH PLAIN on the submission port {msa} without STARTTLS");
        var (smtp, greeting) = await LineDialogue.ConnectAsync(msa, ctx.Student, ctx.Out, ct);
        await using (smtp)
        {
            SmtpByHandDemo.Expect(greeting, 220);
            var ehlo = await smtp.SendAsync("EHLO workstation." + ctx.Domain("uc"), ct);
            string secret = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user.Address}\0{user.Password}"));
            var auth = await smtp.SendAsync($"AUTH PLAIN {secret}", ct);
            if (auth.Code == 235)
            {
                ctx.Out.WriteLine($"   Anyone on the path (tcpdump -A -i lo port {msa.Port}) read: AUTH PLAIN {secret}");
                ctx.Out.WriteLine($"   and base64 -d gives: \\0{user.Address}\\0{user.Password}");
            }
            else
            {
                ctx.Out.WriteLine(ehlo.Lines.Any(l => l.Contains("AUTH", StringComparison.Ordinal))
                    ? "   AUTH was refused."
                    : "   No AUTH before TLS: the lab is secure by default. Start it with 'allow-plaintext-auth: true' for this step.");
            }
            await smtp.SendAsync("QUIT", ct);
        }

        ctx.Step("The same login after STARTTLS, certificate checked against the lab CA (openssl s_client -starttls smtp)");
        using (var client = await Submission.ConnectAsync(ctx, "uc", implicitTls: false, ct))
        {
            await client.AuthenticateAsync(user.Address, user.Password, ct);
            await client.SendAsync(Submission.Message(user.Address, user.Address, "sent over STARTTLS",
                "Look at the Received line: ESMTPSA and the TLS version and cipher."), ct);
            await client.DisconnectAsync(true, ct);
        }

        ctx.Step("Implicit TLS on the submissions port: TLS from the first byte (openssl s_client -connect)");
        using (var client = await Submission.ConnectAsync(ctx, "uc", implicitTls: true, ct))
        {
            await client.AuthenticateAsync(user.Address, user.Password, ct);
            await client.NoOpAsync(ct);
            await client.DisconnectAsync(true, ct);
        }
    }
}
