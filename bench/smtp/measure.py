#!/usr/bin/env python3
"""One benchmark run: drive smtp-source at a server and time until the Maildir holds N messages.

Prints one JSON object on stdout. Exit 0 when exactly N messages arrived and smtp-source
succeeded; exit 1 otherwise (the JSON still says what happened).
Standard library only.
"""
import argparse
import json
import os
import subprocess
import sys
import time


def count_maildir(maildir):
    """Messages in new/ and cur/ (tmp/ holds uncommitted writes, so it is not counted)."""
    total = 0
    for sub in ("new", "cur"):
        try:
            with os.scandir(os.path.join(maildir, sub)) as it:
                total += sum(1 for e in it if e.is_file(follow_symlinks=False))
        except FileNotFoundError:
            pass
    return total


def status_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def process_tree(root):
    """root and all its descendants (Postfix's daemons are children of master)."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may contain spaces; fields after the closing parenthesis are fixed.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--smtp-source", default="smtp-source")
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--sessions", type=int, required=True)
    p.add_argument("--messages", type=int, required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--sender", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--helo", default="client.test")
    p.add_argument("--reuse", action="store_true", help="smtp-source -d: many messages per connection")
    p.add_argument("--maildir", required=True, help="the recipient's Maildir (holds new/ cur/ tmp/)")
    p.add_argument("--timeout", type=float, default=180.0)
    p.add_argument("--sample-tree", type=int, default=0,
                   help="pid whose process tree's summed RSS/PSS is sampled during the run")
    p.add_argument("--ack-durable", action="store_true",
                   help="the server says 250 only once the message is in the Maildir: when smtp-source "
                        "has exited, every message must already be there (no waiting for delivery)")
    p.add_argument("--log", default=os.devnull, help="file for smtp-source's output")
    a = p.parse_args()

    base = count_maildir(a.maildir)
    cmd = [a.smtp_source, "-s", str(a.sessions), "-m", str(a.messages), "-l", str(a.size),
           "-f", a.sender, "-t", a.to, "-M", a.helo]
    if a.reuse:
        cmd.append("-d")
    cmd.append(f"{a.host}:{a.port}")

    peak_rss = peak_pss = 0
    next_sample = 0.0
    done_at = None
    at_source_exit = None
    with open(a.log, "ab") as log:
        start = time.monotonic()
        src = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        while True:
            now = time.monotonic()
            if a.sample_tree and now >= next_sample:
                pids = process_tree(a.sample_tree)
                peak_rss = max(peak_rss, sum(status_kb(x, "VmRSS") for x in pids))
                peak_pss = max(peak_pss, sum(pss_kb(x) for x in pids))
                next_sample = now + 0.25
            got = count_maildir(a.maildir) - base
            if done_at is None and got >= a.messages:
                done_at = now
            rc = src.poll()
            if rc is not None and at_source_exit is None:
                at_source_exit = count_maildir(a.maildir) - base
                if a.ack_durable and at_source_exit < a.messages:
                    break
            if done_at is not None and rc is not None:
                break
            # smtp-source gave up and nothing more is arriving: wait a little for stragglers.
            if rc not in (None, 0) and now - start > 1 and got < a.messages:
                time.sleep(2)
                break
            if now - start > a.timeout:
                break
            time.sleep(0.02)
        if src.poll() is None:
            src.kill()
            src.wait()

    # A late duplicate would show up here.
    time.sleep(0.5)
    delivered = count_maildir(a.maildir) - base
    elapsed = (done_at if done_at is not None else time.monotonic()) - start
    ok = src.returncode == 0 and delivered == a.messages
    problem = ""
    if src.returncode != 0:
        problem = f"smtp-source exited {src.returncode}"
    elif a.ack_durable and (at_source_exit or 0) < a.messages:
        ok = False
        problem = f"only {at_source_exit} of {a.messages} in the Maildir when all were acknowledged"
    elif delivered != a.messages:
        problem = f"{delivered} of {a.messages} delivered"
    print(json.dumps({
        "ok": ok,
        "sessions": a.sessions,
        "sent": a.messages,
        "delivered": delivered,
        "at_source_exit": at_source_exit,
        "source_rc": src.returncode,
        "elapsed_s": round(elapsed, 3),
        "rate": round(delivered / elapsed, 1) if ok and elapsed > 0 else 0,
        "peak_rss_kb": peak_rss,
        "peak_pss_kb": peak_pss,
        "timed_out": done_at is None,
        "problem": problem,
    }))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
