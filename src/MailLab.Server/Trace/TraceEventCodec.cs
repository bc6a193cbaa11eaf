using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;

namespace MailLab.Server.Trace;

/// <summary>
/// A compact binary form of a <see cref="TraceEvent"/>, for the in-memory ring (<see cref="TraceStream"/>):
/// strings as UTF-8 behind a 7-bit length, numbers little-endian, every field value behind a tag of its .NET
/// type, so a decoded event has the same values of the same types (a string list comes back as a string
/// array). Thousands of event objects held for minutes all die in the GC's oldest generation, and each
/// background collection marks them all (issue 19); the same events as bytes are one array with no references.
/// </summary>
internal static class TraceEventCodec
{
    private enum Tag : byte
    {
        Null, String, List, Int, Long, Double, False, True, Float, Decimal, UInt, ULong, Short, UShort, Byte, SByte,
        DateTimeOffset, DateTime, TimeSpan,
    }

    // Field names and site names repeat in every event; decoding them from this table makes no new string.
    // Bounded, because an imported trace file (TraceFollower) may bring names of its own.
    private const int MaxNames = 4096;
    private static readonly ConcurrentDictionary<string, string> Names = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> NameLookup =
        Names.GetAlternateLookup<ReadOnlySpan<char>>();

    [ThreadStatic]
    private static byte[]? scratch;

    /// <summary>
    /// Encodes <paramref name="e"/> into a buffer of the calling thread and returns it; valid until this thread
    /// encodes again. A value of a type the trace contract does not allow is kept as its text.
    /// </summary>
    public static ReadOnlySpan<byte> Encode(TraceEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var w = new Writer(scratch ??= new byte[4096]);
        w.Long(e.Sequence);
        w.Long(e.Time.Ticks);
        w.Short((short)e.Time.Offset.TotalMinutes);
        w.Byte((byte)e.Role);
        w.Int((int)e.Kind);
        w.String(e.Site);
        w.String(e.Session);
        w.String(e.Message);
        w.String(e.Origin);
        w.String(e.Text);
        w.Count(e.Fields.Count);
        if (e.Fields is TraceFields fields)
        {
            for (int i = 0; i < fields.Count; i++) Field(ref w, fields.At(i).Name, fields.At(i).Value);
        }
        else
        {
            foreach (var (name, value) in e.Fields) Field(ref w, name, value);
        }
        // An unusually large event grew the buffer; a thread keeps at most 64 KiB of it between events.
        scratch = w.Buffer.Length <= 65536 ? w.Buffer : null;
        return w.Buffer.AsSpan(0, w.Length);
    }

    private static void Field(ref Writer w, string name, object? value)
    {
        w.String(name);
        switch (value)
        {
            case null: w.Byte((byte)Tag.Null); break;
            case string s: w.Byte((byte)Tag.String); w.String(s); break;
            case IEnumerable<string> list:
                var items = list as IReadOnlyList<string> ?? [.. list];
                w.Byte((byte)Tag.List);
                w.Count(items.Count);
                for (int i = 0; i < items.Count; i++) w.String(items[i] ?? string.Empty);
                break;
            case int v: w.Byte((byte)Tag.Int); w.Int(v); break;
            case long v: w.Byte((byte)Tag.Long); w.Long(v); break;
            case double v: w.Byte((byte)Tag.Double); w.Long(BitConverter.DoubleToInt64Bits(v)); break;
            case bool v: w.Byte((byte)(v ? Tag.True : Tag.False)); break;
            case float v: w.Byte((byte)Tag.Float); w.Int(BitConverter.SingleToInt32Bits(v)); break;
            case decimal v:
                w.Byte((byte)Tag.Decimal);
                Span<int> bits = stackalloc int[4];
                decimal.GetBits(v, bits);
                foreach (int b in bits) w.Int(b);
                break;
            case uint v: w.Byte((byte)Tag.UInt); w.Int((int)v); break;
            case ulong v: w.Byte((byte)Tag.ULong); w.Long((long)v); break;
            case short v: w.Byte((byte)Tag.Short); w.Short(v); break;
            case ushort v: w.Byte((byte)Tag.UShort); w.Short((short)v); break;
            case byte v: w.Byte((byte)Tag.Byte); w.Byte(v); break;
            case sbyte v: w.Byte((byte)Tag.SByte); w.Byte((byte)v); break;
            case DateTimeOffset v: w.Byte((byte)Tag.DateTimeOffset); w.Long(v.Ticks); w.Short((short)v.Offset.TotalMinutes); break;
            case DateTime v: w.Byte((byte)Tag.DateTime); w.Long(v.ToBinary()); break;
            case TimeSpan v: w.Byte((byte)Tag.TimeSpan); w.Long(v.Ticks); break;
            default: w.Byte((byte)Tag.String); w.String(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? ""); break;
        }
    }

    /// <summary>The event <paramref name="bytes"/> holds, as <see cref="Encode"/> wrote it.</summary>
    public static TraceEvent Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new Reader(bytes);
        long sequence = r.Long();
        var time = new DateTimeOffset(r.Long(), TimeSpan.FromMinutes(r.Short()));
        var role = (TraceRole)r.Byte();
        var kind = (TraceKind)r.Int();
        string site = r.Name()!;
        string? session = r.String(), message = r.String(), origin = r.String();
        string text = r.String()!;
        int n = r.Count();
        var fields = new (string Name, object? Value)[n];
        for (int i = 0; i < n; i++) fields[i] = (r.Name()!, Value(ref r));
        return new TraceEvent(sequence, time, site, role, session, message, kind, text, TraceFields.Own(fields)) { Origin = origin };
    }

    private static object? Value(ref Reader r)
    {
        switch ((Tag)r.Byte())
        {
            case Tag.Null: return null;
            case Tag.String: return r.String();
            case Tag.List:
                var items = new string[r.Count()];
                for (int i = 0; i < items.Length; i++) items[i] = r.String()!;
                return items;
            case Tag.Int: return r.Int();
            case Tag.Long: return r.Long();
            case Tag.Double: return BitConverter.Int64BitsToDouble(r.Long());
            case Tag.False: return false;
            case Tag.True: return true;
            case Tag.Float: return BitConverter.Int32BitsToSingle(r.Int());
            case Tag.Decimal: return new decimal([r.Int(), r.Int(), r.Int(), r.Int()]);
            case Tag.UInt: return (uint)r.Int();
            case Tag.ULong: return (ulong)r.Long();
            case Tag.Short: return r.Short();
            case Tag.UShort: return (ushort)r.Short();
            case Tag.Byte: return r.Byte();
            case Tag.SByte: return (sbyte)r.Byte();
            case Tag.DateTimeOffset: return new DateTimeOffset(r.Long(), TimeSpan.FromMinutes(r.Short()));
            case Tag.DateTime: return DateTime.FromBinary(r.Long());
            case Tag.TimeSpan: return new TimeSpan(r.Long());
            case var t: throw new InvalidDataException($"trace ring: unknown value tag {(byte)t}");
        }
    }

    private ref struct Writer(byte[] buffer)
    {
        public byte[] Buffer = buffer;
        public int Length;

        private Span<byte> Take(int n)
        {
            if (Length + n > Buffer.Length) Array.Resize(ref Buffer, Math.Max(Buffer.Length * 2, Length + n));
            var span = Buffer.AsSpan(Length, n);
            Length += n;
            return span;
        }

        public void Byte(byte v) => Take(1)[0] = v;
        public void Short(short v) => BinaryPrimitives.WriteInt16LittleEndian(Take(2), v);
        public void Int(int v) => BinaryPrimitives.WriteInt32LittleEndian(Take(4), v);
        public void Long(long v) => BinaryPrimitives.WriteInt64LittleEndian(Take(8), v);

        public void Count(int n)
        {
            uint v = (uint)n;
            for (; v >= 0x80; v >>= 7) Byte((byte)(v | 0x80));
            Byte((byte)v);
        }

        // Null as length 0, else 1 + the octet count.
        public void String(string? s)
        {
            if (s is null)
            {
                Count(0);
                return;
            }
            int octets = Encoding.UTF8.GetByteCount(s);
            Count(octets + 1);
            Encoding.UTF8.GetBytes(s, Take(octets));
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> bytes = bytes;
        private int at;

        private ReadOnlySpan<byte> Take(int n)
        {
            var span = bytes.Slice(at, n);
            at += n;
            return span;
        }

        public byte Byte() => Take(1)[0];
        public short Short() => BinaryPrimitives.ReadInt16LittleEndian(Take(2));
        public int Int() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
        public long Long() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        public int Count()
        {
            uint v = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = Byte();
                v |= (uint)(b & 0x7F) << shift;
                if (b < 0x80) return checked((int)v);
            }
        }

        public string? String()
        {
            int n = Count();
            return n == 0 ? null : n == 1 ? string.Empty : Encoding.UTF8.GetString(Take(n - 1));
        }

        // A string that repeats across events (a field or site name), from the shared table when it is there.
        public string? Name()
        {
            int n = Count();
            if (n <= 1) return n == 0 ? null : string.Empty;
            var utf8 = Take(n - 1);
            if (utf8.Length > 64) return Encoding.UTF8.GetString(utf8);
            Span<char> chars = stackalloc char[64];
            int length = Encoding.UTF8.GetChars(utf8, chars);
            if (NameLookup.TryGetValue(chars[..length], out var known)) return known;
            var name = new string(chars[..length]);
            return Names.Count < MaxNames ? Names.GetOrAdd(name, name) : name;
        }
    }
}
