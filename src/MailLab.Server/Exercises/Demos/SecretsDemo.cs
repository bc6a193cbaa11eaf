using System.Net;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;

namespace MailLab.Server.Exercises.Demos;

/// <summary>
/// Exercise 12: credentials in the server's own logs. Under TLS nobody on the path reads AUTH PLAIN
/// (RFC 4954 §4) or IMAP LOGIN (RFC 3501 §6.2.3), but the server decodes them, and a server that logs
/// protocol lines (the switch <c>reveal-secrets</c>) writes them down, a wrong password too.
/// </summary>
internal sealed class SecretsDemo : IExerciseDemo
{
    public int Number => 12;

    public async Task RunAsync(DemoContext ctx, CancellationToken ct)
    {
        var user = ctx.User("uc");
        var msa = ctx.EndPoint("uc", "MSA", "starttls");

        ctx.Step($"AUTH PLAIN inside STARTTLS on {msa}: the wire is encrypted; now read the lab's trace of this session");
        using (var smtp = await Submission.ConnectAsync(ctx, "uc", implicitTls: false, ct))
        {
            await smtp.AuthenticateAsync(new SaslMechanismPlain(user.Address, user.Password), ct);
            await smtp.NoOpAsync(ct);
            await smtp.DisconnectAsync(true, ct);
        }
        ctx.Out.WriteLine($"   The trace's 'C: AUTH PLAIN ...' line: {(Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user.Address}\0{user.Password}")))} with reveal-secrets, <redacted> without.");

        ctx.Step("A wrong password (a typo, or the password of another account): the trace keeps the guess");
        using (var smtp = await Submission.ConnectAsync(ctx, "uc", implicitTls: false, ct))
        {
            try
            {
                await smtp.AuthenticateAsync(new SaslMechanismPlain(user.Address, "my-bank-password"), ct);
                throw new DemoException("a wrong password was accepted");
            }
            catch (AuthenticationException)
            {
                ctx.Out.WriteLine("   535: refused, and the AuthFailed event holds Password \"my-bank-password\" when reveal-secrets is on.");
            }
            await smtp.DisconnectAsync(true, ct);
        }

        var imaps = ctx.EndPoint("uc", "IMAP", "implicit");
        ctx.Step($"IMAP LOGIN on the implicit-TLS port {imaps}: the password is an argument of the command line itself");
        using var imap = new ImapClient(new DemoProtocolLogger(ctx.Out)) { ServerCertificateValidationCallback = ctx.ValidateServer, Timeout = 30_000 };
        if (ctx.Student is not null) imap.LocalEndPoint = new IPEndPoint(ctx.Student, 0);
        await imap.ConnectAsync(imaps.Address.ToString(), imaps.Port, SecureSocketOptions.SslOnConnect, ct);
        imap.AuthenticationMechanisms.Clear(); // no AUTHENTICATE: LOGIN user password, as typed by hand
        await imap.AuthenticateAsync(user.Address, user.Password, ct);
        await imap.DisconnectAsync(true, ct);
        ctx.Out.WriteLine("   The trace's LOGIN line shows the password; with the default lab it says LOGIN <user> <redacted>.");
    }
}
