using System.Text;

namespace MailLab.Server.Dashboard;

/// <summary>
/// An event stream's allowance (<c>rate=</c>, events a second): a bucket holding at most one second's worth, so a
/// burst after a quiet spell comes whole and a flood comes at <c>rate</c> events a second. The Live trace page asks
/// for one: nobody reads thousands of rows a second on a projector, and fifty tabs each taking every event of a
/// scripted flood cost the lab more than the flood. What it leaves out it names in a <c>gap</c> frame per write
/// (first and last sequence number, how many), so the page can show the gap and fetch it from the history.
/// </summary>
internal sealed class RateBudget(int rate, Func<long> clock)
{
    private double tokens = rate;
    private long refilled = clock();
    private long from, to;
    private int skipped;

    /// <summary>A budget on the machine's monotonic clock (milliseconds).</summary>
    public RateBudget(int rate) : this(rate, () => Environment.TickCount64) { }

    /// <summary>Adds the allowance earned since the last refill (at most one second's).</summary>
    public void Refill()
    {
        long now = clock();
        tokens = Math.Min(rate, tokens + (now - refilled) / 1000.0 * rate);
        refilled = now;
    }

    /// <summary>Whether the event numbered <paramref name="sequence"/> may be sent; if not, it joins the gap.</summary>
    public bool Take(long sequence)
    {
        if (tokens >= 1)
        {
            tokens--;
            return true;
        }
        if (skipped == 0) from = sequence;
        to = sequence;
        skipped++;
        return false;
    }

    /// <summary>
    /// The frame naming what was left out since the last call (null: nothing). Its <c>id:</c> is the last event left
    /// out, so a reconnecting EventSource resumes after the gap instead of replaying it.
    /// </summary>
    public byte[]? Gap()
    {
        if (skipped == 0) return null;
        var frame = Encoding.UTF8.GetBytes($"id: {to}\nevent: gap\ndata: {{\"from\":{from},\"to\":{to},\"skipped\":{skipped}}}\n\n");
        skipped = 0;
        return frame;
    }
}
