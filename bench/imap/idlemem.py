#!/usr/bin/env python3
"""Memory of `maillab up` alone (no Dovecot, no root): RSS at start, after the bench steps per INBOX
size, and with N sessions in IDLE, with a breakdown of the process's mappings from /proc/PID/smaps.

  bench/imap/idlemem.py [--sizes "1000 10000"] [--idle 200] [--rounds R] [--fetch N]
                        [--maillab PATH] [--cwd DIR] [--hold SECONDS]

(--help explains each option.) maillab is the Release build unless --maillab names another.

Uses the same lab file and messages as run.sh; runtime knobs can be tried by setting DOTNET_*
variables in the environment (they pass through to maillab). Prints one table row per stage:

  rss     VmRSS (what run.sh reports), MB
  anon    anonymous mappings: the GC heap, malloc arenas of other threads, thread stacks
  malloc  [heap], the main malloc arena (native allocations of the runtime and OpenSSL)
  jit     /memfd:doublemapper: JIT-compiled code, stubs and executable loader heaps (W^X double mapping)
  files   mapped files: libcoreclr, libclrjit, libcrypto, the framework and MailLab assemblies
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the repository
import measure  # noqa: E402

DOMAIN, ADDR, PASS = "bank.test", "127.0.2.1", "bench-secret"


def smaps(pid):
    """Resident KB of the process by kind of mapping."""
    out = {"rss": measure.kb(pid, "status", "VmRSS"), "code": 0, "file": 0, "heap": 0, "anon": 0}
    kind = None
    for line in open(f"/proc/{pid}/smaps"):
        head = line.split()
        if not head[0].endswith(":"):
            name = head[5] if len(head) > 5 else ""
            kind = ("code" if "doublemapper" in name else "heap" if name == "[heap]"
                    else "anon" if name == "" or name.startswith("[") else "file")
        elif head[0] == "Rss:":
            out[kind] += int(head[1])
    return out


def row(stage, pid):
    time.sleep(2)
    m = smaps(pid)
    print(f"{stage:<20} rss {m['rss'] / 1024:6.1f}  anon {m['anon'] / 1024:5.1f}  malloc {m['heap'] / 1024:5.1f}  "
          f"jit {m['code'] / 1024:5.1f}  files {m['file'] / 1024:5.1f}", flush=True)
    return m


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1000", help="INBOX sizes, space separated, filled and stepped through as run.sh does")
    p.add_argument("--idle", type=int, default=200, help="sessions held in IDLE (LOGIN, SELECT INBOX, IDLE)")
    p.add_argument("--rounds", type=int, default=1, help="open that many batches of --idle sessions (later ones show the warm cost)")
    p.add_argument("--maillab", help="maillab executable [the Release build]", default=os.path.join(REPO, "src/MailLab/bin/Release/net10.0/maillab"))
    p.add_argument("--fetch", type=int, default=0,
                   help="give each IDLE user that many messages and fetch them whole (BODY.PEEK[]) before IDLE, as a syncing client does")
    p.add_argument("--cwd", default=REPO, help="working directory of maillab [the repository root]")
    p.add_argument("--hold", type=float, default=0, help="seconds to keep maillab and the sessions up at the end (to attach a tool)")
    a = p.parse_args()
    sizes = [int(n) for n in a.sizes.split()]
    tmp = tempfile.mkdtemp(prefix="maillab-idlemem.", dir="/var/tmp")
    data = os.path.join(tmp, "data")
    for n in sizes:
        measure.fill(os.path.join(data, "mail", DOMAIN, f"b{n}", "INBOX"), os.path.join(tmp, "dv", f"b{n}"), n)
    if a.fetch:
        for i in range(1, a.idle * a.rounds + 1):
            measure.fill(os.path.join(data, "mail", DOMAIN, f"idle{i}", "INBOX"), os.path.join(tmp, "dv", "idle"), a.fetch)
    subprocess.run(["rm", "-rf", os.path.join(tmp, "dv")], check=True)
    users = [f"b{n}" for n in sizes] + [f"idle{i}" for i in range(1, a.idle * a.rounds + 1)]
    lab = os.path.join(tmp, "lab.yml")
    with open(lab, "w") as f:
        f.write("name: imap-bench\nswitches: { allow-plaintext-auth: true }\n")
        f.write(f"limits: {{ max-connections-per-client: {a.idle * a.rounds + 50}, max-connections: {a.idle * a.rounds + 100} }}\n")
        f.write(f"dns: {{ port: 0 }}\nsites:\n  - name: bank\n    domains: [{DOMAIN}]\n    host-names: [mx.{DOMAIN}]\n")
        f.write(f"    address: {ADDR}\n    ports: {{ mta: 0, submission: 0, submissions: 0, imap: 0 }}\n    users:\n")
        for u in users:
            f.write(f"      - {{ address: {u}@{DOMAIN}, password: {PASS} }}\n")
    log = open(os.path.join(tmp, "maillab.log"), "w")
    # From the repository root, as run.sh is usually started (the working directory matters, see README).
    t0 = time.perf_counter()
    proc = subprocess.Popen([a.maillab, "up", "--lab", lab, "--data", data], cwd=a.cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        listeners = os.path.join(data, "listeners.json")
        for _ in range(600):
            if os.path.exists(listeners) and os.path.getsize(listeners) > 0:
                break
            if proc.poll() is not None:
                raise SystemExit(f"maillab exited; see {tmp}/maillab.log")
            time.sleep(0.1)
        ready = time.perf_counter() - t0
        time.sleep(0.3)  # as run.sh: the file is rewritten while the listeners come up
        port = next(l["port"] for l in json.load(open(listeners)) if l.get("role") == "IMAP" and l.get("tls") == "starttls")
        knobs = " ".join(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("DOTNET_") and not k.startswith(("DOTNET_CLI", "DOTNET_NOLOGO", "DOTNET_GENERATE")))
        print(f"pid {proc.pid}, listening after {ready:.2f} s, sizes {a.sizes}, idle {a.idle}, knobs: {knobs or 'none'}", flush=True)
        start = row("started", proc.pid)
        for n in sizes:
            measure.steps(ADDR, port, f"b{n}@{DOMAIN}", PASS, n)
            row(f"after steps {n}", proc.pid)
        before = row("before IDLE (again)", proc.pid)
        conns = []
        for r in range(a.rounds):
            for i in range(r * a.idle + 1, (r + 1) * a.idle + 1):
                c = measure.Imap(ADDR, port)
                c.cmd(f'LOGIN "idle{i}@{DOMAIN}" "{PASS}"')
                c.cmd("SELECT INBOX")
                if a.fetch:
                    c.cmd("FETCH 1:* (UID FLAGS BODY.PEEK[])")
                c.s.sendall(b"i IDLE\r\n")
                c.read_until(lambda line: line.startswith(b"+"))
                conns.append(c)
            time.sleep(1)
            after = row(f"{len(conns)} IDLE", proc.pid)
            if a.idle:
                per = {k: (after[k] - before[k]) / a.idle for k in after}
                print(f"per session (KB): rss {per['rss']:.1f}  anon {per['anon']:.1f}  malloc {per['heap']:.1f}  "
                      f"jit {per['code']:.1f}  files {per['file']:.1f}; rss over start {(after['rss'] - start['rss']) / 1024:.1f} MB", flush=True)
            before = after
        if a.hold:
            print(f"holding pid {proc.pid} for {a.hold:.0f} s", flush=True)
            time.sleep(a.hold)
        for c in conns:
            c.s.sendall(b"DONE\r\n")
            c.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()  # a slow shutdown must not leave the process behind, nor lose the table above
            proc.wait()
        subprocess.run(["rm", "-rf", tmp], check=True)


if __name__ == "__main__":
    main()
