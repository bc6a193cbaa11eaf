#!/usr/bin/env python3
"""Checks that a stack really evaluated SPF, DKIM and DMARC: reads the header of every delivered
message in the given Maildirs and counts the verdicts the receiving host wrote.

SPF: the Received-SPF field (RFC 7208 §9.1; MailLab and policyd-spf both write it), else the spf=
result of Authentication-Results. DKIM and DMARC: Authentication-Results fields (RFC 8601) whose
authserv-id is --authserv (MailLab writes one field; OpenDKIM and OpenDMARC one each). A DKIM
signature counts by its selector (header.s), which names the algorithm in this bench.
Expected: every message from --pass-domain has spf=pass, every one from --fail-domain spf=fail,
every message dkim=pass for both selectors and dmarc=pass. Prints one JSON object; exit 1 when
any count differs from the number of messages.
"""
import argparse
import email.parser
import email.policy
import json
import os
import re
import sys


def header_of(path):
    with open(path, "rb") as f:
        raw = f.read(64 * 1024)
    head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    return email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(head + b"\n\n")


def unfold(value):
    return re.sub(r"\s+", " ", str(value)).strip()


def strip_comments(s):
    # Comments may nest (RFC 5322 §3.2.2); the bench's values never hide ';' in quoted strings.
    out, depth = [], 0
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def results(msg, authserv):
    """(method, result, {property: value}) for every resinfo of the fields from authserv."""
    found = []
    for field in msg.get_all("Authentication-Results") or []:
        parts = [x.strip() for x in strip_comments(unfold(field)).split(";")]
        if not parts[0] or parts[0].split()[0].lower() != authserv.lower():
            continue
        for part in parts[1:]:
            words = part.split()
            if not words or "=" not in words[0]:
                continue
            method, result = words[0].split("=", 1)
            props = dict(w.split("=", 1) for w in words[1:] if "=" in w)
            found.append((method.lower(), result.lower(), {k.lower(): v.lower() for k, v in props.items()}))
    return found


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--maildir", action="append", required=True)
    p.add_argument("--authserv", required=True)
    p.add_argument("--pass-domain", required=True)
    p.add_argument("--fail-domain", required=True)
    p.add_argument("--selector", action="append", required=True, help="each DKIM selector every message is signed with")
    a = p.parse_args()

    c = {"messages": 0, "from_pass_domain": 0, "from_fail_domain": 0, "spf_pass": 0, "spf_fail": 0,
         "spf_other": 0, "dmarc_pass": 0, "dmarc_other": 0}
    for s in a.selector:
        c[f"dkim_pass_{s}"] = 0
    examples = {}
    for md in a.maildir:
        for sub in ("new", "cur"):
            d = os.path.join(md, sub)
            if not os.path.isdir(d):
                continue
            for name in os.listdir(d):
                msg = header_of(os.path.join(d, name))
                c["messages"] += 1
                frm = unfold(msg.get("From", "")).lower()
                domain = a.pass_domain if frm.endswith("@" + a.pass_domain + ">") else a.fail_domain
                c["from_pass_domain" if domain == a.pass_domain else "from_fail_domain"] += 1
                ar = results(msg, a.authserv)
                rspf = msg.get("Received-SPF")
                spf = unfold(rspf).split()[0].lower() if rspf else next((r for m, r, _ in ar if m == "spf"), "none")
                want = "pass" if domain == a.pass_domain else "fail"
                if spf == want:
                    c[f"spf_{want}"] += 1
                else:
                    c["spf_other"] += 1
                    examples.setdefault("spf", f"{name}: {spf} for {domain}")
                for s in a.selector:
                    if any(m == "dkim" and r == "pass" and pr.get("header.s") == s and pr.get("header.d") == domain
                           for m, r, pr in ar):
                        c[f"dkim_pass_{s}"] += 1
                    else:
                        examples.setdefault("dkim_" + s, f"{name}: {[x for x in ar if x[0] == 'dkim']}")
                if any(m == "dmarc" and r == "pass" and pr.get("header.from") == domain for m, r, pr in ar):
                    c["dmarc_pass"] += 1
                else:
                    c["dmarc_other"] += 1
                    examples.setdefault("dmarc", f"{name}: {[x for x in ar if x[0] == 'dmarc']}")
    n = c["messages"]
    ok = (n > 0 and c["spf_pass"] == c["from_pass_domain"] and c["spf_fail"] == c["from_fail_domain"]
          and c["dmarc_pass"] == n and all(c[f"dkim_pass_{s}"] == n for s in a.selector)
          and c["from_pass_domain"] > 0 and c["from_fail_domain"] > 0)
    print(json.dumps({"ok": ok, **c, "examples": examples}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
