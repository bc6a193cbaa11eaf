using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace MailLab.Tests.Architecture;

/// <summary>
/// The dependency graph between the folders (namespaces <c>Root.X</c>) of one compiled assembly, read
/// from its metadata: base types, interfaces, fields, properties, method signatures and locals, the
/// tokens in method bodies' IL, generic arguments and constraints, attributes. Nested and
/// compiler-made types (lambdas, async state machines) count for the folder of their outer type.
/// Types in the root namespace itself are the folder "(root)".
/// </summary>
public sealed class FolderGraph
{
    /// <summary>The name of the folder of types in the root namespace itself.</summary>
    public const string RootFolder = "(root)";

    /// <summary>Per edge (from folder, to folder): one type of the first that uses one of the second.</summary>
    public IReadOnlyDictionary<(string From, string To), (string User, string Used)> Edges { get; }

    /// <summary>Every folder that holds a type.</summary>
    public IReadOnlySet<string> Folders { get; }

    private FolderGraph(Dictionary<(string, string), (string, string)> edges, HashSet<string> folders)
    {
        Edges = edges;
        Folders = folders;
    }

    /// <summary>Reads the folder graph of the assembly file at <paramref name="path"/> under <paramref name="rootNamespace"/>.</summary>
    public static FolderGraph Read(string path, string rootNamespace)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var folderOf = new Dictionary<TypeDefinitionHandle, (string Folder, string Name)>();
        foreach (var h in md.TypeDefinitions)
        {
            var outer = h;
            while (md.GetTypeDefinition(outer).GetDeclaringType() is { IsNil: false } d) outer = d;
            var ns = md.GetString(md.GetTypeDefinition(outer).Namespace);
            string? folder = ns == rootNamespace ? RootFolder
                : ns.StartsWith(rootNamespace + ".", StringComparison.Ordinal) ? ns[(rootNamespace.Length + 1)..].Split('.')[0]
                : null;
            if (folder is not null) folderOf[h] = (folder, ns + "." + md.GetString(md.GetTypeDefinition(outer).Name));
        }
        var edges = new Dictionary<(string, string), (string, string)>();
        var collector = new Collector(pe, md);
        foreach (var (h, (from, user)) in folderOf)
        {
            collector.Found.Clear();
            collector.Type(h);
            foreach (var used in collector.Found)
            {
                if (folderOf.TryGetValue(used, out var to) && to.Folder != from)
                {
                    edges.TryAdd((from, to.Folder), (user, to.Name));
                }
            }
        }
        return new FolderGraph(edges, folderOf.Values.Select(v => v.Folder).ToHashSet());
    }

    /// <summary>The strongly connected components with more than one folder (each one is made of cycles).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var next = Folders.ToDictionary(f => f, f => Edges.Keys.Where(e => e.From == f).Select(e => e.To).OrderBy(t => t, StringComparer.Ordinal).ToList());
        int index = 0;
        var idx = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var result = new List<IReadOnlyList<string>>();
        void Connect(string v)
        {
            idx[v] = low[v] = index++;
            stack.Push(v);
            foreach (var w in next[v])
            {
                if (!idx.ContainsKey(w))
                {
                    Connect(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (stack.Contains(w))
                {
                    low[v] = Math.Min(low[v], idx[w]);
                }
            }
            if (low[v] != idx[v]) return;
            var part = new List<string>();
            string x;
            do
            {
                x = stack.Pop();
                part.Add(x);
            } while (x != v);
            if (part.Count > 1) result.Add(part.OrderBy(p => p, StringComparer.Ordinal).ToList());
        }
        foreach (var f in Folders.OrderBy(f => f, StringComparer.Ordinal))
        {
            if (!idx.ContainsKey(f)) Connect(f);
        }
        return result;
    }

    /// <summary>The shortest path of edges from <paramref name="from"/> back to <paramref name="to"/>, or null.</summary>
    public IReadOnlyList<string>? Path(string from, string to)
    {
        var back = new Dictionary<string, string> { [from] = from };
        var queue = new Queue<string>([from]);
        while (queue.Count > 0)
        {
            var v = queue.Dequeue();
            foreach (var w in Edges.Keys.Where(e => e.From == v).Select(e => e.To).OrderBy(t => t, StringComparer.Ordinal))
            {
                if (back.ContainsKey(w)) continue;
                back[w] = v;
                if (w == to)
                {
                    var path = new List<string> { w };
                    while (path[^1] != from) path.Add(back[path[^1]]);
                    path.Reverse();
                    return path;
                }
                queue.Enqueue(w);
            }
        }
        return null;
    }

    /// <summary>Every type definition one type definition names, anywhere in its metadata or IL.</summary>
    private sealed class Collector : ISignatureTypeProvider<int, object?>
    {
        private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (OpCode)f.GetValue(null)!)
            .ToDictionary(o => o.Value, o => o.OperandType);

        private readonly PEReader pe;
        private readonly MetadataReader md;

        public Collector(PEReader pe, MetadataReader md)
        {
            this.pe = pe;
            this.md = md;
        }

        public HashSet<TypeDefinitionHandle> Found { get; } = [];

        public void Type(TypeDefinitionHandle h)
        {
            var t = md.GetTypeDefinition(h);
            Handle(t.BaseType);
            foreach (var i in t.GetInterfaceImplementations()) Handle(md.GetInterfaceImplementation(i).Interface);
            Attributes(t.GetCustomAttributes());
            GenericParameters(t.GetGenericParameters());
            foreach (var f in t.GetFields())
            {
                var field = md.GetFieldDefinition(f);
                field.DecodeSignature(this, null);
                Attributes(field.GetCustomAttributes());
            }
            foreach (var p in t.GetProperties())
            {
                var property = md.GetPropertyDefinition(p);
                property.DecodeSignature(this, null);
                Attributes(property.GetCustomAttributes());
            }
            foreach (var e in t.GetEvents()) Handle(md.GetEventDefinition(e).Type);
            foreach (var m in t.GetMethods()) Method(m);
        }

        private void Method(MethodDefinitionHandle h)
        {
            var m = md.GetMethodDefinition(h);
            m.DecodeSignature(this, null);
            Attributes(m.GetCustomAttributes());
            GenericParameters(m.GetGenericParameters());
            if (m.RelativeVirtualAddress == 0) return;
            var body = pe.GetMethodBody(m.RelativeVirtualAddress);
            if (!body.LocalSignature.IsNil)
            {
                md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(this, null);
            }
            foreach (var region in body.ExceptionRegions) Handle(region.CatchType);
            var il = body.GetILReader();
            while (il.RemainingBytes > 0)
            {
                short code = il.ReadByte();
                if (code == 0xFE) code = unchecked((short)(0xFE00 | il.ReadByte()));
                switch (Operands[code])
                {
                    case OperandType.InlineNone: break;
                    case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: il.ReadByte(); break;
                    case OperandType.InlineVar: il.ReadInt16(); break;
                    case OperandType.InlineI8 or OperandType.InlineR: il.ReadInt64(); break;
                    case OperandType.InlineSwitch:
                        var targets = il.ReadInt32(); // read before Offset, which += would read first
                        il.Offset += 4 * targets;
                        break;
                    case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                        Handle(MetadataTokens.EntityHandle(il.ReadInt32()));
                        break;
                    default: il.ReadInt32(); break; // InlineBrTarget, InlineI, InlineR4, InlineString, InlineSig
                }
            }
        }

        private void Attributes(CustomAttributeHandleCollection attributes)
        {
            foreach (var a in attributes) Handle(md.GetCustomAttribute(a).Constructor);
        }

        private void GenericParameters(GenericParameterHandleCollection parameters)
        {
            foreach (var p in parameters)
            {
                foreach (var c in md.GetGenericParameter(p).GetConstraints()) Handle(md.GetGenericParameterConstraint(c).Type);
            }
        }

        private void Handle(EntityHandle h)
        {
            if (h.IsNil) return;
            switch (h.Kind)
            {
                case HandleKind.TypeDefinition: Found.Add((TypeDefinitionHandle)h); break;
                case HandleKind.TypeSpecification: md.GetTypeSpecification((TypeSpecificationHandle)h).DecodeSignature(this, null); break;
                case HandleKind.MethodDefinition: Found.Add(md.GetMethodDefinition((MethodDefinitionHandle)h).GetDeclaringType()); break;
                case HandleKind.FieldDefinition: Found.Add(md.GetFieldDefinition((FieldDefinitionHandle)h).GetDeclaringType()); break;
                case HandleKind.MethodSpecification:
                    var spec = md.GetMethodSpecification((MethodSpecificationHandle)h);
                    Handle(spec.Method);
                    spec.DecodeSignature(this, null);
                    break;
                case HandleKind.MemberReference:
                    var member = md.GetMemberReference((MemberReferenceHandle)h);
                    Handle(member.Parent);
                    if (member.GetKind() == MemberReferenceKind.Method) member.DecodeMethodSignature(this, null);
                    else member.DecodeFieldSignature(this, null);
                    break;
            }
        }

        public int GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            Found.Add(handle);
            return 0;
        }

        public int GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind)
        {
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
            return 0;
        }

        public int GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => 0;
        public int GetPrimitiveType(PrimitiveTypeCode typeCode) => 0;
        public int GetSZArrayType(int elementType) => 0;
        public int GetArrayType(int elementType, ArrayShape shape) => 0;
        public int GetByReferenceType(int elementType) => 0;
        public int GetPointerType(int elementType) => 0;
        public int GetPinnedType(int elementType) => 0;
        public int GetGenericInstantiation(int genericType, ImmutableArray<int> typeArguments) => 0;
        public int GetGenericMethodParameter(object? genericContext, int index) => 0;
        public int GetGenericTypeParameter(object? genericContext, int index) => 0;
        public int GetFunctionPointerType(MethodSignature<int> signature) => 0;
        public int GetModifiedType(int modifier, int unmodifiedType, bool isRequired) => 0;
    }
}
