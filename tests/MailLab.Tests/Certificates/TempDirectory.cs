namespace MailLab.Tests.Certificates;

/// <summary>A fresh folder per test, removed afterwards.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("maillab-certs-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
