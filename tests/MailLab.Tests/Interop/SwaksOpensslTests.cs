using MailLab.Server.Trace;
using MailLab.Tests.Support;

namespace MailLab.Tests.Interop;

/// <summary>Real clients from Debian (swaks, openssl s_client) against the running lab.</summary>
public sealed class SwaksOpensslTests : IAsyncLifetime
{
    private TestLab lab = null!;

    public Task InitializeAsync()
    {
        lab = TestLab.Create().Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await lab.DisposeAsync();

    private string CaFile => lab.Runtime!.CertificateAuthority.CertificatePath;

    [Theory]
    [InlineData("PLAIN", false)]
    [InlineData("LOGIN", false)]
    [InlineData("PLAIN", true)]
    public async Task Swaks_submits_with_TLS_and_AUTH(string mechanism, bool onConnect)
    {
        var msa = lab.Runtime!.EndPoint("uc", "MSA", onConnect ? "implicit" : "starttls");
        var (code, output, err) = await ExternalTool.Run("swaks",
        [
            "--server", msa.Address.ToString(), "--port", msa.Port.ToString(),
            onConnect ? "--tls-on-connect" : "--tls", "--tls-verify", "--tls-ca-path", CaFile, "--tls-sni", "mx.uc.test",
            "--auth", mechanism, "--auth-user", "alice@uc.test", "--auth-password", "lab-alice",
            "--from", "alice@uc.test", "--to", "alice@uc.test", "--header", $"Subject: swaks {mechanism}",
            "--helo", "student-laptop",
        ]);
        Assert.True(code == 0, $"swaks exit {code}\n{output}\n{err}");
        Assert.Contains("235 2.7.0", output);
        Assert.Contains("250 2.0.0 Ok: queued as", output);
        var list = await lab.Store.ListAsync("alice@uc.test", "INBOX", default);
        await using var s = (await lab.Store.OpenReadAsync(Assert.Single(list), default))!;
        var text = await new StreamReader(s).ReadToEndAsync();
        Assert.Contains($"Subject: swaks {mechanism}", text);
        Assert.Contains("Received: from student-laptop", text);
    }

    [Fact]
    public async Task Swaks_without_TLS_cannot_authenticate()
    {
        var msa = lab.Runtime!.EndPoint("uc", "MSA", "starttls");
        var (code, output, _) = await ExternalTool.Run("swaks",
        [
            "--server", msa.Address.ToString(), "--port", msa.Port.ToString(),
            "--auth", "PLAIN", "--auth-user", "alice@uc.test", "--auth-password", "lab-alice",
            "--from", "alice@uc.test", "--to", "alice@uc.test",
        ]);
        Assert.NotEqual(0, code);
        // No 235 reply line from the server ("<-  235 ..."); a bare "235" also matched the random port in "Trying 127.0.1.1:42351".
        Assert.DoesNotMatch(new System.Text.RegularExpressions.Regex(@"^<[-~]\s+235[ -]", System.Text.RegularExpressions.RegexOptions.Multiline), output);
        Assert.Empty(lab.Events(TraceKind.AuthSucceeded));
    }

    [Fact]
    public async Task Swaks_to_the_MTA_with_a_forged_sender_is_delivered()
    {
        var mta = lab.Runtime!.EndPoint("bank", "MTA");
        var (code, output, err) = await ExternalTool.Run("swaks",
        [
            "--server", mta.Address.ToString(), "--port", mta.Port.ToString(), "--local-interface", "127.0.3.1",
            "--from", "ceo@bank.test", "--to", "bob@bank.test", "--header", "From: ceo@bank.test", "--helo", "mx.evil.test",
        ]);
        Assert.True(code == 0, $"swaks exit {code}\n{output}\n{err}");
        var e = await lab.WaitForEvent(e => e.Kind == TraceKind.MessageReceived);
        Assert.Equal("127.0.3.1", e.Field("Client"));
        Assert.Equal("ceo@bank.test", e.Field("MailFrom"));
    }

    [Fact]
    public async Task Openssl_s_client_STARTTLS_verifies_the_chain_with_the_lab_CA()
    {
        var msa = lab.Runtime!.EndPoint("bank", "MSA", "starttls");
        var (code, output, err) = await ExternalTool.Run("openssl",
        [
            "s_client", "-starttls", "smtp", "-connect", $"{msa.Address}:{msa.Port}", "-CAfile", CaFile,
            "-verify_return_error", "-verify_hostname", "mx.bank.test", "-servername", "mx.bank.test", "-ign_eof",
        ], stdin: "EHLO openssl.test\r\nQUIT\r\n");
        Assert.True(code == 0, $"openssl exit {code}\n{output}\n{err}");
        Assert.Contains("Verify return code: 0 (ok)", output);
        Assert.Matches(@"250[ -]AUTH PLAIN LOGIN", output); // AUTH is offered once TLS is up
        Assert.Contains("MailLab Lab Root CA", output);
        Assert.Contains(lab.Events(TraceKind.TlsEstablished), e => e.Site == "bank");
    }

    [Fact]
    public async Task Openssl_s_client_refuses_the_server_without_the_lab_CA()
    {
        var msa = lab.Runtime!.EndPoint("bank", "MSA", "implicit");
        var (code, output, err) = await ExternalTool.Run("openssl",
        [
            "s_client", "-connect", $"{msa.Address}:{msa.Port}", "-verify_return_error", "-CAfile", "/etc/ssl/certs/ca-certificates.crt",
        ], stdin: "QUIT\r\n");
        Assert.NotEqual(0, code);
        Assert.Contains("verify error", output + err, StringComparison.OrdinalIgnoreCase);
    }
}
