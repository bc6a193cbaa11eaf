using MailLab.Tests.Interop;

namespace MailLab.Tests.Web;

/// <summary>A throw-away GnuPG home (its own keyring, agent and dirmngr), killed and left on dispose.</summary>
public sealed class GpgHome : IAsyncDisposable
{
    public GpgHome(string name)
    {
        // Short path (the agent socket must fit in sun_path); made 0700, as gpg wants.
        Path = Directory.CreateTempSubdirectory("gpg-" + name + "-").FullName;
        // dirmngr's own DNS resolver fails on an IP-literal hkp:// URL where no DNS answers its reverse
        // lookup ("No keyserver available"); the system resolver takes the literal as it is (README, key server).
        File.WriteAllText(System.IO.Path.Combine(Path, "dirmngr.conf"), "standard-resolver\n");
    }

    public string Path { get; }

    public Task<(int Code, string Out, string Err)> Run(params string[] args) =>
        ExternalTool.Run("gpg", ["--homedir", Path, "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "", .. args]);

    /// <summary>Makes an Ed25519 signing key for <paramref name="uid"/> and returns its fingerprint.</summary>
    public async Task<string> MakeKey(string uid)
    {
        var made = await Run("--quick-gen-key", uid, "ed25519", "sign", "never");
        Assert.True(made.Code == 0, made.Err);
        var list = await Run("--with-colons", "--list-keys", uid);
        return list.Out.Split('\n').First(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];
    }

    /// <summary>The ASCII-armored public key (or secret key with <paramref name="secret"/>).</summary>
    public async Task<string> Export(string who, bool secret = false)
    {
        var r = await Run("--armor", secret ? "--export-secret-keys" : "--export", who);
        Assert.True(r.Code == 0 && r.Out.Length > 0, r.Err);
        return r.Out;
    }

    public async ValueTask DisposeAsync()
    {
        await ExternalTool.Run("gpgconf", ["--homedir", Path, "--kill", "all"]);
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
