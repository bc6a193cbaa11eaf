using System.Runtime.InteropServices;
using System.Text;

namespace MailLab.Server.Store;

/// <summary>
/// The two durability primitives the store needs: fsync of a directory (so a create, rename or unlink
/// survives a crash) and an atomic replace of a small file (write tmp, fsync, rename, fsync directory).
/// </summary>
internal static class DurableFile
{
    private const int ORdOnly = 0;
    private const int OCloExec = 0x80000; // 02000000, the same on x86-64 and arm64 Linux

    /// <summary>fsync(2) a directory. .NET refuses to open directories, so this goes to libc; no-op on Windows.</summary>
    public static void FsyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return; // NTFS journals metadata; there is no directory handle to flush here
        }
        var fd = Open(directory, ORdOnly | OCloExec);
        if (fd < 0)
        {
            throw new StoreException($"open({directory}) for fsync failed: errno {Marshal.GetLastPInvokeError()}");
        }
        try
        {
            if (Fsync(fd) != 0)
            {
                throw new StoreException($"fsync({directory}) failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Replaces <paramref name="path"/> with <paramref name="text"/> so that a crash leaves the old or the new file, never half.</summary>
    public static void WriteAllTextAtomic(string path, string text) =>
        WriteAtomic(path, fs => fs.Write(Encoding.UTF8.GetBytes(text)));

    /// <summary>The same with the content written by <paramref name="write"/> (for files too big to build as one string).</summary>
    public static void WriteAtomic(string path, Action<Stream> write)
    {
        var tmp = path + ".tmp";
        using (var fs = CreateFresh(tmp))
        {
            write(fs);
            fs.Flush(flushToDisk: true);
        }
        // rename(2) replaces the name: a symlink planted at the final path is replaced, not written through.
        File.Move(tmp, path, overwrite: true);
        FsyncDirectory(Path.GetDirectoryName(path)!);
    }

    /// <summary>
    /// Creates <paramref name="tmp"/> as a new file. FileMode.Create would follow a symlink planted at that name and
    /// truncate its target; a leftover is unlinked instead (unlink removes a link, never its target) and the file made
    /// with O_CREAT|O_EXCL (FileMode.CreateNew), which fails on any existing name, a symlink included.
    /// </summary>
    /// <param name="tmp">The temporary file's path.</param>
    /// <param name="secret">Owner read/write only (0600) from its creation on: a private key's file.</param>
    internal static FileStream CreateFresh(string tmp, bool secret = false)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (secret && !OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        for (var attempt = 0; ; attempt++)
        {
            File.Delete(tmp); // no error when absent
            try
            {
                return new FileStream(tmp, options);
            }
            catch (IOException) when (attempt == 0)
            {
                // Planted again between the unlink and the create: unlink once more, then give up with the error.
            }
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
