using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace MailLab.Server.Lab;

/// <summary>
/// Reads typed values out of YAML representation nodes and records every problem with the node's mark,
/// so the loader can report all errors of a file at once instead of stopping at the first.
/// </summary>
internal sealed class YamlFields(string file)
{
    public List<LabDefinitionError> Errors { get; } = [];

    public void Error(YamlNode node, string field, string problem) =>
        Errors.Add(new LabDefinitionError(file, (int)node.Start.Line, (int)node.Start.Column, field, problem));

    /// <summary>A mapping whose keys must all be in <paramref name="keys"/>: a typo must not be silently ignored.</summary>
    public FieldMap? Map(YamlNode node, string field, params string[] keys)
    {
        if (node is not YamlMappingNode mapping)
        {
            Error(node, field, $"expected a mapping with keys {string.Join(", ", keys)}");
            return null;
        }

        var values = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        var empty = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach ((YamlNode keyNode, YamlNode value) in mapping.Children)
        {
            string? key = (keyNode as YamlScalarNode)?.Value;
            if (key is null || !keys.Contains(key, StringComparer.Ordinal))
            {
                Error(keyNode, Path(field, key ?? "?"), UnknownKey(key, keys));
                continue;
            }

            if (IsNull(value))
            {
                empty[key] = keyNode;
            }
            else
            {
                values[key] = value;
            }
        }

        return new FieldMap(this, mapping, field, values, empty);
    }

    /// <summary>A sequence; an empty or null node gives an empty list.</summary>
    public IReadOnlyList<YamlNode>? Sequence(YamlNode node, string field)
    {
        if (node is YamlSequenceNode sequence)
        {
            return sequence.Children.ToList();
        }

        Error(node, field, "expected a list (for example [a, b] or one '- item' per line)");
        return null;
    }

    public string? String(YamlNode node, string field)
    {
        if (node is YamlScalarNode scalar && scalar.Value is { } value)
        {
            string trimmed = value.Trim();
            if (trimmed.Length > 0)
            {
                return trimmed;
            }
        }

        Error(node, field, node is YamlScalarNode ? "must not be empty" : "expected a single value");
        return null;
    }

    /// <summary>A list of non-empty strings with their nodes (for error marks on single items).</summary>
    public List<(YamlNode Node, string Value, string Field)>? StringList(YamlNode node, string field, bool nonEmpty)
    {
        IReadOnlyList<YamlNode>? items = Sequence(node, field);
        if (items is null)
        {
            return null;
        }

        if (nonEmpty && items.Count == 0)
        {
            Error(node, field, "must list at least one entry");
            return null;
        }

        var result = new List<(YamlNode, string, string)>();
        for (int i = 0; i < items.Count; i++)
        {
            string itemField = $"{field}[{i}]";
            if (String(items[i], itemField) is { } value)
            {
                result.Add((items[i], value, itemField));
            }
        }

        return result;
    }

    /// <summary>true/false only: YAML 1.1 "yes"/"no"/"on" are rejected so the file means the same to every reader.</summary>
    public bool? Bool(YamlNode node, string field)
    {
        string? text = String(node, field);
        if (text is null)
        {
            return null;
        }

        if (text is "true" or "True" or "TRUE")
        {
            return true;
        }

        if (text is "false" or "False" or "FALSE")
        {
            return false;
        }

        Error(node, field, $"'{text}' is not a boolean (use true or false)");
        return null;
    }

    public long? Integer(YamlNode node, string field)
    {
        string? text = String(node, field);
        if (text is null)
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            return value;
        }

        Error(node, field, $"'{text}' is not a whole number");
        return null;
    }

    public static string Path(string parent, string key) => parent.Length == 0 ? key : $"{parent}.{key}";

    /// <summary>Plain <c>~</c>, <c>null</c> or nothing at all (<c>key:</c>) is YAML's null (YAML 1.2 core schema).</summary>
    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static string UnknownKey(string? key, string[] keys)
    {
        string expected = $"expected one of: {string.Join(", ", keys)}";
        if (key is null)
        {
            return $"keys must be plain names; {expected}";
        }

        // camelCase or a small typo: point at the kebab-case key the author meant.
        string folded = key.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();
        foreach (string candidate in keys)
        {
            string candidateFolded = candidate.Replace("-", "", StringComparison.Ordinal);
            if (folded == candidateFolded || EditDistance(key.ToLowerInvariant(), candidate) <= 2)
            {
                return $"unknown key '{key}' (did you mean '{candidate}'? keys are kebab-case)";
            }
        }

        return $"unknown key '{key}'; {expected}";
    }

    internal static int EditDistance(string a, string b)
    {
        int[] previous = new int[b.Length + 1];
        int[] current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}

/// <summary>The known keys of one YAML mapping, with its field path for error messages.</summary>
internal sealed class FieldMap(
    YamlFields fields, YamlMappingNode node, string path, Dictionary<string, YamlNode> values, Dictionary<string, YamlNode> emptyKeys)
{
    public YamlMappingNode Node => node;

    public string Path(string key) => YamlFields.Path(path, key);

    public YamlNode? Optional(string key) => values.GetValueOrDefault(key);

    /// <summary>The value of a required key; a missing one is reported at the mapping's start, an empty one at its key.</summary>
    public YamlNode? Required(string key)
    {
        if (values.TryGetValue(key, out YamlNode? value))
        {
            return value;
        }

        if (emptyKeys.TryGetValue(key, out YamlNode? keyNode))
        {
            fields.Error(keyNode, Path(key), "required field has no value");
            return null;
        }

        fields.Error(node, Path(key), "required field is missing");
        return null;
    }
}
