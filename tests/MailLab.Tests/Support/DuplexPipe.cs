using System.IO.Pipelines;

namespace MailLab.Tests.Support;

/// <summary>Two connected in-memory streams: what one writes, the other reads (a socket pair without a socket).</summary>
public static class DuplexPipe
{
    public static (Stream Server, Stream Client) Create()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        return (new End(toServer.Reader, toClient.Writer), new End(toClient.Reader, toServer.Writer));
    }

    private sealed class End(PipeReader input, PipeWriter output) : Stream
    {
        private readonly Stream reader = input.AsStream();
        private readonly Stream writer = output.AsStream();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => writer.Flush();
        public override Task FlushAsync(CancellationToken ct) => writer.FlushAsync(ct);
        public override int Read(byte[] buffer, int offset, int count) => reader.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => reader.ReadAsync(buffer, ct);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => reader.ReadAsync(buffer, offset, count, ct);
        public override void Write(byte[] buffer, int offset, int count) => writer.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) => writer.WriteAsync(buffer, ct);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => writer.WriteAsync(buffer, offset, count, ct);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                input.Complete();
                output.Complete();
            }
            base.Dispose(disposing);
        }
    }
}
