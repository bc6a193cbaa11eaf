using MailLab.Protocols.Imap;

namespace MailLab.Server.Imap.Commands;

/// <summary>LIST and LSUB (RFC 3501 §6.3.8, §6.3.9) with LIST-EXTENDED options (RFC 5258) and SPECIAL-USE (RFC 6154).</summary>
internal sealed class ListCommand(ImapSession session) : ImapCommandGroup(session)
{
    public async Task ListAsync(ImapCommand c)
    {
        var lsub = c.Name == "LSUB";
        var args = c.Arguments;
        var i = 0;
        bool selectSubscribed = lsub, recursive = false, selectSpecial = false;
        bool returnSubscribed = false, returnSpecial = false;
        if (!lsub && i < args.Count && args[i].Kind == ImapValueKind.List)
        {
            // RFC 5258 §3.1 selection options.
            foreach (var o in args[i++].Items)
            {
                switch (o.Text.ToUpperInvariant())
                {
                    case "SUBSCRIBED": selectSubscribed = true; break;
                    case "RECURSIVEMATCH": recursive = true; break;
                    case "SPECIAL-USE": selectSpecial = true; break; // RFC 6154 §3
                    case "REMOTE": break;
                    default:
                        Bad(c.Tag, $"Unknown LIST selection option {o}");
                        return;
                }
            }
            if (recursive && !selectSubscribed)
            {
                Bad(c.Tag, "RECURSIVEMATCH needs another selection option"); // RFC 5258 §3.1
                return;
            }
        }
        if (args.Count - i < 2 || !args[i].IsAString)
        {
            Bad(c.Tag, $"Syntax: {c.Name} reference pattern");
            return;
        }
        var reference = args[i++].Text;
        var patternArg = args[i++];
        var patterns = patternArg.Kind == ImapValueKind.List && !lsub
            ? patternArg.Items.Select(p => p.Text).ToList()
            : [patternArg.Text];
        if (i < args.Count)
        {
            // RFC 5258 §3.2 return options.
            if (lsub || args.Count - i != 2 || !args[i].Text.Equals("RETURN", StringComparison.OrdinalIgnoreCase) || args[i + 1].Kind != ImapValueKind.List)
            {
                Bad(c.Tag, "Syntax: LIST [(options)] reference pattern [RETURN (options)]");
                return;
            }
            foreach (var o in args[i + 1].Items)
            {
                switch (o.Text.ToUpperInvariant())
                {
                    case "SUBSCRIBED": returnSubscribed = true; break;
                    case "CHILDREN": break; // always returned
                    case "SPECIAL-USE": returnSpecial = true; break;
                    default:
                        Bad(c.Tag, $"Unknown LIST return option {o}");
                        return;
                }
            }
        }
        _ = returnSpecial; // special-use attributes are always returned (RFC 6154 §2 allows it)
        if (patterns.Count == 1 && patterns[0].Length == 0 && !lsub)
        {
            // RFC 3501 §6.3.8: an empty pattern asks for the delimiter and root.
            Untagged("LIST (\\Noselect) \"/\" \"\"");
            Ok(c.Tag, "LIST completed");
            return;
        }
        var existing = Store.ListFolders(Me);
        var subscribed = selectSubscribed || returnSubscribed || lsub
            ? new HashSet<string>(await ImapSubscriptions.ReadAsync(Store, Me, CancellationToken.None), StringComparer.Ordinal)
            : [];
        var exists = new HashSet<string>(existing, StringComparer.Ordinal);
        // Parents that exist only as a prefix (A/B without A) are listed as \Noselect.
        var names = new SortedSet<string>(existing, StringComparer.Ordinal);
        foreach (var f in existing)
        {
            for (var slash = f.IndexOf('/'); slash > 0; slash = f.IndexOf('/', slash + 1))
            {
                names.Add(f[..slash]);
            }
        }
        var matchers = patterns.Select(p => ListPattern.Create(reference, p)).ToList();
        if (selectSubscribed)
        {
            // Parents of subscribed names are candidates too: LSUB "%" shows them as \Noselect
            // (RFC 3501 §6.3.9), LIST RECURSIVEMATCH with CHILDINFO (RFC 5258 §3.5).
            names = new SortedSet<string>(subscribed, StringComparer.Ordinal);
            foreach (var f in subscribed)
            {
                for (var slash = f.IndexOf('/'); slash > 0; slash = f.IndexOf('/', slash + 1))
                {
                    names.Add(f[..slash]);
                }
            }
        }
        foreach (var name in names.OrderBy(n => n == "INBOX" ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal))
        {
            var wire = ModifiedUtf7.Encode(name);
            if (!matchers.Any(m => m.IsMatch(wire)))
            {
                continue;
            }
            // A parent that is listed only because of a subscribed child the patterns do not reach.
            var parentOnly = selectSubscribed && !subscribed.Contains(name);
            if (parentOnly && (!(lsub || recursive) || !subscribed.Any(d =>
                    d.StartsWith(name + "/", StringComparison.Ordinal) && !matchers.Any(m => m.IsMatch(ModifiedUtf7.Encode(d))))))
            {
                continue;
            }
            var special = SpecialUse(name);
            if (selectSpecial && special is null)
            {
                continue;
            }
            var attrs = new List<string>();
            if (parentOnly && lsub)
            {
                attrs.Add(@"\Noselect");
            }
            else if (!exists.Contains(name))
            {
                attrs.Add(selectSubscribed && !lsub ? @"\NonExistent" : @"\Noselect");
            }
            if (!lsub)
            {
                attrs.Add(existing.Any(f => f.StartsWith(name + "/", StringComparison.Ordinal)) ? @"\HasChildren" : @"\HasNoChildren");
            }
            if ((returnSubscribed || selectSubscribed) && !lsub && subscribed.Contains(name))
            {
                attrs.Add(@"\Subscribed");
            }
            if (special is not null && !lsub)
            {
                attrs.Add(special);
            }
            var extended = parentOnly && !lsub ? " (\"CHILDINFO\" (\"SUBSCRIBED\"))" : "";
            W.Raw($"* {c.Name} ({string.Join(' ', attrs)}) \"/\" ").AString(wire).Raw(extended).Crlf();
            TraceUntagged($"* {c.Name} ({string.Join(' ', attrs)}) \"/\" {wire}{extended}");
        }
        Ok(c.Tag, $"{c.Name} completed");
    }

    private static string? SpecialUse(string folder) => folder switch
    {
        "Sent" => @"\Sent",
        "Drafts" => @"\Drafts",
        "Trash" => @"\Trash",
        "Junk" => @"\Junk",
        _ => null,
    };
}
