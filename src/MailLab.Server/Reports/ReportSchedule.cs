using MailLab.Server.Trace;

namespace MailLab.Server.Reports;

/// <summary>
/// When a reporter sends: every <c>interval</c>, and whenever the CLI drops <see cref="SendFile"/> into the
/// reporter's directory (checked once a second, like <c>queue flush</c>). After an on-demand send the reporter's
/// description goes to <see cref="LastSendFile"/> for the CLI to print.
/// </summary>
public sealed class ReportSchedule(string directory, TimeSpan interval, Func<CancellationToken, Task<string>> sendAll,
    Action<Exception> failed) : IAsyncDisposable
{
    /// <summary>The request file the CLI creates; removed once the reports are queued.</summary>
    public const string SendFile = ".send";

    /// <summary>What the last on-demand send did.</summary>
    public const string LastSendFile = "last-send.txt";

    private readonly CancellationTokenSource stop = new();
    private Task? loop;

    /// <summary>Starts the loop.</summary>
    public void Start() => loop = Task.Run(() => RunAsync(stop.Token));

    /// <summary>Asks a running lab for reports now (what the CLI does).</summary>
    public static void RequestSend(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, SendFile), DateTimeOffset.UtcNow.ToString("O"));
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var due = DateTimeOffset.UtcNow + interval;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                var flag = Path.Combine(directory, SendFile);
                if (File.Exists(flag))
                {
                    var described = await sendAll(ct).ConfigureAwait(false);
                    await File.WriteAllTextAsync(Path.Combine(directory, LastSendFile), described, ct).ConfigureAwait(false);
                    File.Delete(flag);
                }
                else if (DateTimeOffset.UtcNow >= due)
                {
                    await sendAll(ct).ConfigureAwait(false);
                    due = DateTimeOffset.UtcNow + interval;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                failed(ex);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        if (loop is not null) await loop.ConfigureAwait(false);
        stop.Dispose();
    }
}
