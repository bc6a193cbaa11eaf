using System.Runtime.CompilerServices;
using MailLab.Server.Trace;

namespace MailLab.Tests.Support;

/// <summary>
/// Turns <see cref="TraceContract.Strict"/> on before any test runs, in this process and (through the
/// environment, which child processes inherit) in every <c>maillab</c> process a test starts: an
/// emitter with a field its kind does not declare fails the suite instead of reaching a student.
/// </summary>
internal static class StrictTraceContract
{
    [ModuleInitializer]
    internal static void TurnOn()
    {
        Environment.SetEnvironmentVariable("MAILLAB_TRACE_STRICT", "1");
        TraceContract.Strict = true;
    }
}
