namespace MailLab.Cli;

/// <summary>
/// One lab per data directory. <c>maillab up</c> holds <c>&lt;data&gt;/maillab.lock</c> open with
/// <see cref="FileShare.None"/> for its whole life, before it touches anything else there. On Linux
/// .NET takes that as an exclusive <c>flock(2)</c> on the open file: a second <c>up</c> cannot get it, and
/// the kernel drops it when the process ends however it ends (Ctrl-C, kill -9, a crash), so a dead lab
/// never leaves a stuck lock. The file itself stays; it means nothing without the lock on it.
/// </summary>
internal sealed class LabLock : IDisposable
{
    /// <summary>The lock file's name in the data directory.</summary>
    public const string FileName = "maillab.lock";

    // errno EWOULDBLOCK (EAGAIN) on Linux: what .NET reports when another process holds the flock.
    private const int WouldBlock = 11;

    private readonly FileStream stream;

    private LabLock(FileStream stream) => this.stream = stream;

    /// <summary>
    /// Takes the lock of <paramref name="dataDirectory"/>; null when another process holds it
    /// (<paramref name="error"/> null) or the file cannot be opened (<paramref name="error"/> says why).
    /// </summary>
    public static LabLock? TryAcquire(string dataDirectory, out string? error)
    {
        error = null;
        try
        {
            var stream = new FileStream(Path.Combine(dataDirectory, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return new LabLock(stream);
        }
        catch (IOException ex) when (ex.HResult == WouldBlock || ex.GetType() == typeof(IOException) && ex.Message.Contains("being used by another process"))
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = ex.Message;
            return null;
        }
    }

    /// <inheritdoc />
    public void Dispose() => stream.Dispose();
}
