using MailLab.MailAuth.Dkim;
using MailLab.Server.Dkim;

namespace MailLab.Tests.Dkim;

/// <summary>
/// A DKIM private key goes to disk through a temp file beside it: a symlink planted at that temp name must not carry
/// the key out of the data directory, and the key file is the owner's alone (0600) from its creation.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // file modes
public sealed class DkimKeyFileTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("maillab-dkimkey-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void A_symlink_at_the_temp_name_is_replaced_and_its_target_left_alone()
    {
        var outside = Path.Combine(dir, "outside.txt");
        File.WriteAllText(outside, "not a key\n");
        Directory.CreateDirectory(Path.Combine(dir, "dkim"));
        var keyFile = Path.Combine(dir, "dkim", "ed.key");
        File.CreateSymbolicLink(keyFile + ".tmp", outside);

        var key = new DkimSigningKey("bank.test", "ed", DkimPrivateKey.CreateEd25519(), keyFile);
        DkimKeySet.WriteKey(key);

        Assert.Equal("not a key\n", File.ReadAllText(outside));
        Assert.Equal(key.Key.ToPem(), File.ReadAllText(keyFile));
        Assert.False(File.Exists(keyFile + ".tmp"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
    }
}
