#!/usr/bin/env python3
"""IMAP bench client: wall time per step against one server, or memory with N IDLE sessions.

  measure.py fill ML_INBOX DV_MAILDIR N                 the same N messages into both Maildirs
  measure.py steps HOST PORT USER PASSWORD N            SELECT, UID FETCH 1:* (FLAGS), Thunderbird
                                                        header list of the newest 500 (cold, then warm)
  measure.py idle HOST PORT USERFMT PASSWORD COUNT PIDS...   COUNT sessions in IDLE, then RSS/PSS of PIDS
                                                        and their descendants
  measure.py first HOST PORT USER PASSWORD N PID LABEL WARMUSER   the first LOGIN and SELECT of a fresh
                                                        server: times, its CPU ms and RSS (after WARMUSER's)

Prints one JSON object. Standard library only. The client reads whole replies with little parsing
(the tagged line is the last thing a server sends), so its own cost is small next to the server's.
"""
import json
import os
import random
import re
import socket
import sys
import time

TB_HEADERS = ("UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID "
              "Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To Received)]")


class Imap:
    def __init__(self, host, port, timeout=600):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.n = 0
        self.read_until(lambda line: line.startswith(b"* "))

    def read_until(self, done):
        chunks, tail = [], b""
        while True:
            data = self.s.recv(1 << 20)
            if not data:
                raise IOError("connection closed")
            chunks.append(data)
            tail = (tail + data)[-4096:]
            if tail.endswith(b"\r\n"):
                last = tail[:-2].rsplit(b"\r\n", 1)[-1]
                if done(last):
                    return b"".join(chunks), last

    def cmd(self, text):
        self.n += 1
        tag = b"b%d" % self.n
        self.s.sendall(tag + b" " + text.encode() + b"\r\n")
        body, last = self.read_until(lambda line: line.startswith(tag + b" "))
        if not last.startswith(tag + b" OK"):
            raise IOError(f"{text[:60]} -> {last[:200]!r}")
        return body

    def close(self):
        try:
            self.s.sendall(b"z LOGOUT\r\n")
        except OSError:
            pass
        self.s.close()


def timed(f):
    t = time.perf_counter()
    r = f()
    return time.perf_counter() - t, r


def steps(host, port, user, password, n):
    runs = []
    for _ in range(4):   # the first is cold (the server reads the folder from disk), then warm
        c = Imap(host, port)
        c.cmd(f'LOGIN "{user}" "{password}"')
        t_select, sel = timed(lambda: c.cmd("SELECT INBOX"))
        if f"* {n} EXISTS".encode() not in sel:
            raise IOError(f"SELECT did not report {n} EXISTS: {sel[:300]!r}")
        t_flags, flags = timed(lambda: c.cmd("UID FETCH 1:* (FLAGS)"))
        got = flags.count(b" FETCH (")
        if got != n:
            raise IOError(f"UID FETCH 1:* (FLAGS) returned {got} of {n}")
        uids = sorted(int(u) for u in re.findall(rb"\* \d+ FETCH \(.*?UID (\d+)", flags))
        a, b = uids[max(0, n - 500)], uids[-1]
        t_head, head = timed(lambda: c.cmd(f"UID FETCH {a}:{b} ({TB_HEADERS})"))
        got = head.count(b" FETCH (")
        if got != min(500, n):
            raise IOError(f"header fetch returned {got}")
        c.close()
        runs.append({"select": t_select, "fetch_flags": t_flags, "headers500": t_head})
    warm = runs[1:]
    med = lambda k: sorted(r[k] for r in warm)[len(warm) // 2]
    return {"cold": runs[0], "warm": {k: med(k) for k in runs[0]}}


def cpu_ms(pid):
    """User + system CPU time of the process so far, in ms (/proc/PID/stat fields 14 and 15)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def first(host, port, user, password, n, pid, listing, warm_user):
    """The first LOGIN and SELECT of a big INBOX in a freshly started server, each with the server's CPU time.
    Unless WARM_USER is "-", that user's (small) INBOX is selected first, so the big one's figures hold the
    store's load of the folder and not the one-off compilation of the session code (timed separately)."""
    load = open("/proc/loadavg").read().split()[:3]
    out = {"listing": listing, "loadavg": " ".join(load)}
    if warm_user != "-":
        cpu0 = cpu_ms(pid)
        c = Imap(host, port)
        t_warm, _ = timed(lambda: (c.cmd(f'LOGIN "{warm_user}" "{password}"'), c.cmd("SELECT INBOX")))
        c.close()
        out.update(warmup=t_warm, warmup_cpu_ms=cpu_ms(pid) - cpu0)
    c = Imap(host, port)
    cpu0 = cpu_ms(pid)
    t_login, _ = timed(lambda: c.cmd(f'LOGIN "{user}" "{password}"'))
    cpu1 = cpu_ms(pid)
    t_select, sel = timed(lambda: c.cmd("SELECT INBOX"))
    cpu2 = cpu_ms(pid)
    if f"* {n} EXISTS".encode() not in sel:
        raise IOError(f"SELECT did not report {n} EXISTS: {sel[:300]!r}")
    c.close()
    out.update(login=t_login, select=t_select, login_cpu_ms=cpu1 - cpu0, select_cpu_ms=cpu2 - cpu1,
               rss_mb=kb(pid, "status", "VmRSS") / 1024)
    return out


def tree(pids):
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = open(f"/proc/{name}/stat").read()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(name))
    out, todo = [], list(pids)
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def kb(pid, path, field):
    try:
        for line in open(f"/proc/{pid}/{path}"):
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def idle(host, port, userfmt, password, count, pids):
    conns = []
    t0 = time.perf_counter()
    for i in range(1, count + 1):
        c = Imap(host, port)
        c.cmd(f'LOGIN "{userfmt % i}" "{password}"')
        c.cmd("SELECT INBOX")
        c.s.sendall(b"i IDLE\r\n")
        c.read_until(lambda line: line.startswith(b"+"))
        conns.append(c)
    t_open = time.perf_counter() - t0
    time.sleep(3)
    procs = tree(pids)
    rss = sum(kb(p, "status", "VmRSS") for p in procs)
    pss = sum(kb(p, "smaps_rollup", "Pss") for p in procs)
    for c in conns:
        try:
            c.s.sendall(b"DONE\r\n")
        except OSError:
            pass
        c.close()
    return {"sessions": count, "processes": len(procs), "rss_mb": rss / 1024, "pss_mb": pss / 1024, "open_s": t_open}


MESSAGE = """Received: from mx.example.test (mx.example.test [192.0.2.{r}])
\tby mx.bank.test with ESMTPS id {i:08d}; {date}
From: Sender {s} <sender{s}@example.test>
To: Bench User <bench@bank.test>
Subject: Bench message {i} about topic {t}
Date: {date}
Message-ID: <{i}.{s}@example.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
{refs}
{body}
"""


def fill(root_ml, root_dv, n):
    """The same N messages as files in MailLab's INBOX (cur/, UIDs in the name) and Dovecot's Maildir."""
    rnd = random.Random(n)
    ml_cur = os.path.join(root_ml, "cur")
    dv_cur = os.path.join(root_dv, "cur")
    for d in (ml_cur, os.path.join(root_ml, "new"), os.path.join(root_ml, "tmp"), dv_cur,
              os.path.join(root_dv, "new"), os.path.join(root_dv, "tmp")):
        os.makedirs(d, exist_ok=True)
    start = 1_700_000_000
    words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split()
    for i in range(1, n + 1):
        when = start + i * 60
        date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(when))
        body = "\n".join(" ".join(rnd.choice(words) for _ in range(12)) for _ in range(rnd.randint(5, 40)))
        refs = f"In-Reply-To: <{i - 1}.1@example.test>\nReferences: <{i - 1}.1@example.test>" if i % 3 == 0 else "X-Bench: 1"
        data = MESSAGE.format(i=i, s=i % 97, r=i % 250, t=i % 13, date=date, refs=refs, body=body).replace("\n", "\r\n").encode()
        flags = "S" if i % 10 else ""
        unique = f"{when}.M{i}P1Q{i}.bench"
        for path in (os.path.join(ml_cur, f"{unique},U={i},S={len(data)}:2,{flags}"),
                     os.path.join(dv_cur, f"{unique},S={len(data)}:2,{flags}")):
            with open(path, "wb") as f:
                f.write(data)
            os.utime(path, (when, when))
    with open(os.path.join(root_ml, "maillab-uids"), "w") as f:
        f.write(f"# written by bench/imap/measure.py\nuidvalidity {start}\nreserved {n + 1}\n")
    return {"messages": n}


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "fill":
        r = fill(args[0], args[1], int(args[2]))
    elif mode == "steps":
        r = steps(args[0], int(args[1]), args[2], args[3], int(args[4]))
    elif mode == "first":
        r = first(args[0], int(args[1]), args[2], args[3], int(args[4]), int(args[5]), args[6], args[7])
    elif mode == "idle":
        r = idle(args[0], int(args[1]), args[2], args[3], int(args[4]), [int(p) for p in args[5:]])
    else:
        raise SystemExit(__doc__)
    print(json.dumps(r))


if __name__ == "__main__":
    main()
