using System.Text;

namespace MailLab.Server.Certificates;

/// <summary>Writes PEM files whole (temp file, then rename) and private keys readable by the owner only.</summary>
internal static class PemFiles
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Public = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static void Write(string path, string pem, bool privateKey)
    {
        // A line end after the END line, as openssl writes PEM (.NET's Export*Pem has none): otherwise
        // 'cat ca.crt user-ca.crt' runs END into BEGIN and openssl refuses the bundle.
        if (!pem.EndsWith('\n')) pem += "\n";
        string temp = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            // Set at creation, so the key is never readable by others, not even for a moment.
            options.UnixCreateMode = privateKey ? OwnerOnly : Public;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(Encoding.ASCII.GetBytes(pem));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp); // no-op after the move
        }
    }

    /// <summary>A key file copied in with loose permissions is tightened again.</summary>
    public static void RestrictKey(string path)
    {
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~OwnerOnly) != 0)
        {
            File.SetUnixFileMode(path, OwnerOnly);
        }
    }
}
