using System.Runtime.InteropServices;

namespace MailLab.Server.Dns;

/// <summary>What a directory entry is, as lstat(2) sees it (a link is not followed).</summary>
internal enum ZoneFileKind
{
    /// <summary>A plain file: the only kind a zone is read from.</summary>
    Regular,
    /// <summary>A symbolic link (never followed: it may point anywhere, such as the lab CA's key).</summary>
    SymbolicLink,
    /// <summary>A directory.</summary>
    Directory,
    /// <summary>A named pipe (opening it for reading would wait for a writer).</summary>
    Fifo,
    /// <summary>A socket, or a character or block device.</summary>
    Device,
    /// <summary>Anything else.</summary>
    Other,
}

/// <summary>The lstat(2) facts a zone file is judged by; <see cref="Stamp"/> changes when the file does.</summary>
internal readonly record struct ZoneFileStatus(ZoneFileKind Kind, long Size, DateTime LastWriteUtc, ulong Inode, ulong Device, uint Links)
{
    /// <summary>What is compared between polls: any edit, replacement or change of kind shows here.</summary>
    public (ZoneFileKind, long, DateTime, ulong, ulong, uint) Stamp => (Kind, Size, LastWriteUtc, Inode, Device, Links);
}

/// <summary>
/// Reads zone files without following links and without blocking: lstat the name, then open it with
/// O_NOFOLLOW | O_NONBLOCK (a FIFO cannot make the open wait), fstat what was opened and check it is
/// the same regular file (so swapping the name for a link between the two steps is caught), then read
/// at most a size cap. Linux through libc's statx(2) and open(2); elsewhere a managed approximation.
/// </summary>
internal static class ZoneFileAccess
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7FF;
    private const int ONonBlock = 0x800;   // 04000 on x86-64 and arm64
    private const int ONoCtty = 0x100;     // 0400 on x86-64 and arm64
    private const int OCloExec = 0x80000;  // 02000000 on x86-64 and arm64
    private const int ENOENT = 2;
    private const int ELOOP = 40;

    // O_NOFOLLOW differs between architectures; where it is not known, the inode check after fstat still holds.
    private static readonly int ONoFollow = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 or Architecture.RiscV64 or Architecture.LoongArch64 or Architecture.S390x => 0x20000,
        Architecture.Arm64 or Architecture.Arm or Architecture.Ppc64le => 0x8000,
        _ => 0,
    };

    // False where libc has no statx(2) (glibc before 2.28): the managed approximation is used.
    private static bool native = OperatingSystem.IsLinux();

    /// <summary>lstat(2) of <paramref name="path"/>; null when it does not exist (any more).</summary>
    public static ZoneFileStatus? Status(string path)
    {
        if (!native) return ManagedStatus(path);
        var buf = new byte[256];
        int rc;
        try
        {
            rc = Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, ref buf[0]);
        }
        catch (EntryPointNotFoundException)
        {
            native = false;
            return ManagedStatus(path);
        }
        if (rc != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == ENOENT) return null;
            throw new IOException($"cannot stat the file (errno {errno})");
        }
        return FromStatx(buf);
    }

    /// <summary>
    /// The bytes of <paramref name="path"/>, which <paramref name="expected"/> said is a regular file; null
    /// with <paramref name="problem"/> when it is not (any more), changed identity, or is over <paramref name="maxBytes"/>.
    /// </summary>
    public static byte[]? ReadRegular(string path, ZoneFileStatus expected, long maxBytes, out string? problem)
    {
        problem = null;
        if (!native) return ManagedRead(path, maxBytes, out problem);
        int fd = Open(path, ONonBlock | ONoFollow | ONoCtty | OCloExec);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            problem = errno == ELOOP ? "it became a symbolic link; links are not followed" : $"cannot open the file (errno {errno})";
            return null;
        }
        try
        {
            var buf = new byte[256];
            if (Statx(fd, "", AtEmptyPath, StatxBasicStats, ref buf[0]) != 0)
            {
                problem = $"cannot stat the open file (errno {Marshal.GetLastPInvokeError()})";
                return null;
            }
            var opened = FromStatx(buf);
            if (opened.Kind != ZoneFileKind.Regular || opened.Inode != expected.Inode || opened.Device != expected.Device)
            {
                problem = "it was replaced while being opened; it is read on the next poll if it is a regular file";
                return null;
            }
            if (opened.Size > maxBytes)
            {
                problem = $"it is larger than {maxBytes / (1024 * 1024)} MiB";
                return null;
            }
            var data = new MemoryStream();
            var chunk = new byte[64 * 1024];
            while (true)
            {
                nint n = Read(fd, ref chunk[0], chunk.Length);
                if (n < 0)
                {
                    problem = $"cannot read the file (errno {Marshal.GetLastPInvokeError()})";
                    return null;
                }
                if (n == 0) break;
                data.Write(chunk, 0, (int)n);
                if (data.Length > maxBytes)
                {
                    problem = $"it is larger than {maxBytes / (1024 * 1024)} MiB";
                    return null;
                }
            }
            return data.ToArray();
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static ZoneFileStatus FromStatx(byte[] b)
    {
        // struct statx (linux/stat.h), the same layout on every architecture.
        uint links = BitConverter.ToUInt32(b, 16);
        ushort mode = BitConverter.ToUInt16(b, 28);
        ulong inode = BitConverter.ToUInt64(b, 32);
        long size = (long)BitConverter.ToUInt64(b, 40);
        long mtimeSec = BitConverter.ToInt64(b, 112);
        uint mtimeNsec = BitConverter.ToUInt32(b, 120);
        ulong device = ((ulong)BitConverter.ToUInt32(b, 136) << 32) | BitConverter.ToUInt32(b, 140);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => ZoneFileKind.Regular,
            0xA000 => ZoneFileKind.SymbolicLink,
            0x4000 => ZoneFileKind.Directory,
            0x1000 => ZoneFileKind.Fifo,
            0xC000 or 0x2000 or 0x6000 => ZoneFileKind.Device,
            _ => ZoneFileKind.Other,
        };
        var mtime = DateTime.UnixEpoch.AddTicks(mtimeSec * TimeSpan.TicksPerSecond + mtimeNsec / 100);
        return new ZoneFileStatus(kind, size, mtime, inode, device, links);
    }

    private static ZoneFileStatus? ManagedStatus(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists && info.LinkTarget is null) return null;
        var kind = info.LinkTarget is not null || info.Attributes.HasFlag(FileAttributes.ReparsePoint) ? ZoneFileKind.SymbolicLink
            : info.Attributes.HasFlag(FileAttributes.Directory) ? ZoneFileKind.Directory
            : info.Attributes.HasFlag(FileAttributes.Device) ? ZoneFileKind.Device
            : ZoneFileKind.Regular;
        return new ZoneFileStatus(kind, kind == ZoneFileKind.Regular ? info.Length : 0, info.LastWriteTimeUtc, 0, 0, 1);
    }

    private static byte[]? ManagedRead(string path, long maxBytes, out string? problem)
    {
        problem = null;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var data = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int n;
        while ((n = stream.Read(chunk)) > 0)
        {
            data.Write(chunk, 0, n);
            if (data.Length > maxBytes)
            {
                problem = $"it is larger than {maxBytes / (1024 * 1024)} MiB";
                return null;
            }
        }
        return data.ToArray();
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, ref byte statx);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    private static extern nint Read(int fd, ref byte buffer, nint count);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
