using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace MailLab.Server.Trace;

/// <summary>
/// An event's fields as a small read-only map over one array. The in-memory ring keeps up to
/// tens of thousands of events; a <see cref="Dictionary{TKey, TValue}"/> per event (buckets, entries, object)
/// cost about three times the memory of the fields themselves. Events have a handful of fields,
/// so a linear lookup is as fast as hashing. Field order is the order of emission.
/// </summary>
internal sealed class TraceFields : IReadOnlyDictionary<string, object?>
{
    private readonly (string Name, object? Value)[] fields;

    /// <summary>No fields.</summary>
    public static TraceFields Empty { get; } = new([]);

    private TraceFields((string Name, object? Value)[] fields) => this.fields = fields;

    /// <summary>
    /// Takes ownership of <paramref name="fields"/> (the caller must not change it afterwards).
    /// A name given twice keeps its last value, as an indexer assignment into a dictionary would.
    /// </summary>
    public static TraceFields Own((string Name, object? Value)[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (fields.Length == 0) return Empty;
        for (int i = 1; i < fields.Length; i++)
        {
            for (int j = 0; j < i; j++)
            {
                if (fields[i].Name == fields[j].Name) return new TraceFields(Deduplicate(fields));
            }
        }
        return new TraceFields(fields);
    }

    /// <summary>A copy of any other map of fields.</summary>
    public static TraceFields From(IReadOnlyDictionary<string, object?> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        return fields as TraceFields ?? Own([.. fields.Select(kv => (kv.Key, kv.Value))]);
    }

    /// <summary>The same fields with each value passed through <paramref name="map"/>; this instance when no value changed.</summary>
    public TraceFields Select(Func<object?, object?> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        (string Name, object? Value)[]? copy = null;
        for (int i = 0; i < fields.Length; i++)
        {
            var value = map(fields[i].Value);
            if (ReferenceEquals(value, fields[i].Value)) continue;
            copy ??= [.. fields];
            copy[i] = (fields[i].Name, value);
        }
        return copy is null ? this : new TraceFields(copy);
    }

    private static (string, object?)[] Deduplicate((string Name, object? Value)[] fields)
    {
        var result = new List<(string Name, object? Value)>(fields.Length);
        foreach (var f in fields)
        {
            int at = result.FindIndex(r => r.Name == f.Name);
            if (at >= 0) result[at] = f; else result.Add(f);
        }
        return [.. result];
    }

    /// <inheritdoc />
    public int Count => fields.Length;

    /// <summary>The field at <paramref name="index"/> in emission order (no enumerator: the trace writers' hot path).</summary>
    public (string Name, object? Value) At(int index) => fields[index];

    /// <inheritdoc />
    public object? this[string key] => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"trace field '{key}' not present");

    /// <inheritdoc />
    public IEnumerable<string> Keys => fields.Select(f => f.Name);

    /// <inheritdoc />
    public IEnumerable<object?> Values => fields.Select(f => f.Value);

    /// <inheritdoc />
    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    /// <inheritdoc />
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object? value)
    {
        int i = IndexOf(key);
        value = i >= 0 ? fields[i].Value : null;
        return i >= 0;
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        foreach (var (name, value) in fields)
        {
            yield return new(name, value);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        for (int i = 0; i < fields.Length; i++)
        {
            if (fields[i].Name == key) return i;
        }
        return -1;
    }
}
