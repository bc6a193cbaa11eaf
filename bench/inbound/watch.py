#!/usr/bin/env python3
"""One run of the inbound bench: start the load generator, time until the Maildir holds N new
messages, and measure the server's CPU and memory over exactly that span.

CPU: a cgroup v1 cpuacct group (--cpu-cgroup DIR: cpuacct.usage, which keeps the CPU of children that
have exited) or one process (--cpu-pid: utime + stime from /proc/PID/stat). --dns-pid: a second
process whose CPU is reported apart (MailLab's lab DNS answering the Postfix stack).
Memory: peak of the summed PSS of the processes in --mem-procs (a cgroup.procs file) or --mem-pid,
sampled every 0.25 s. Prints one JSON object; exit 0 only when exactly N arrived and the generator
reported every message accepted. Standard library only.
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "smtp"))
from measure import count_maildir, pss_kb  # noqa: E402  (the SMTP bench's helpers)

HZ = os.sysconf("SC_CLK_TCK")


def pid_cpu_ms(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # proc(5): utime and stime are fields 14 and 15; fields[0] here is field 3 (state).
    return (int(fields[11]) + int(fields[12])) * 1000.0 / HZ


def cgroup_cpu_ms(path):
    with open(os.path.join(path, "cpuacct.usage")) as f:
        return int(f.read()) / 1e6


def pids_of(procs_file):
    try:
        with open(procs_file) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--maildir", required=True)
    p.add_argument("--expect", type=int, required=True)
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--cpu-cgroup")
    p.add_argument("--cpu-pid", type=int)
    p.add_argument("--dns-pid", type=int)
    p.add_argument("--mem-procs")
    p.add_argument("--mem-pid", type=int)
    p.add_argument("--log", default=os.devnull, help="the generator's stderr")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    a = p.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd

    def cpu():
        return cgroup_cpu_ms(a.cpu_cgroup) if a.cpu_cgroup else pid_cpu_ms(a.cpu_pid)

    base = count_maildir(a.maildir)
    peak_pss = 0
    next_sample = 0.0
    done_at = cpu_end = dns_end = None
    quiet_since = None
    last_count = -1
    with open(a.log, "ab") as log:
        gen = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
        # The generator says "sending" once it has started and signed every message: the clock and
        # the CPU readings start there, so neither start-up nor signing is measured.
        first = gen.stdout.readline().decode(errors="replace").strip()
        cpu0 = cpu()
        dns0 = pid_cpu_ms(a.dns_pid) if a.dns_pid else 0.0
        start = time.monotonic()
        quiet_since = start
        if first != "sending":
            gen.wait()
        while True:
            now = time.monotonic()
            if now >= next_sample:
                pids = pids_of(a.mem_procs) if a.mem_procs else ([a.mem_pid] if a.mem_pid else [])
                peak_pss = max(peak_pss, sum(pss_kb(x) for x in pids))
                next_sample = now + 0.25
            got = count_maildir(a.maildir) - base
            if done_at is None and got >= a.expect:
                done_at = now
                cpu_end = cpu()
                dns_end = pid_cpu_ms(a.dns_pid) if a.dns_pid else 0.0
            rc = gen.poll()
            if done_at is not None and rc is not None:
                break
            if got != last_count:
                last_count, quiet_since = got, now
            # The generator is done and nothing has arrived for 15 s: the rest is lost.
            if rc is not None and now - quiet_since > 15:
                break
            if now - start > a.timeout:
                break
            time.sleep(0.02)
        if gen.poll() is None:
            gen.kill()
        out = gen.communicate()[0].decode(errors="replace").strip() or first

    time.sleep(0.5)   # a late duplicate would show up here
    delivered = count_maildir(a.maildir) - base
    try:
        generator = json.loads(out.splitlines()[-1]) if out else {}
    except ValueError:
        generator = {"unparsed": out[-500:]}
    elapsed = (done_at if done_at is not None else time.monotonic()) - start
    ok = gen.returncode == 0 and delivered == a.expect
    problem = ""
    if gen.returncode != 0:
        problem = f"generator exited {gen.returncode}: {generator.get('errors', out[-300:])}"
    elif delivered != a.expect:
        problem = f"{delivered} of {a.expect} delivered"
    server_cpu = (cpu_end if cpu_end is not None else cpu()) - cpu0
    dns_cpu = ((dns_end if dns_end is not None else pid_cpu_ms(a.dns_pid)) - dns0) if a.dns_pid else 0.0
    print(json.dumps({
        "ok": ok,
        "sent": a.expect,
        "delivered": delivered,
        "elapsed_s": round(elapsed, 3),
        "rate": round(delivered / elapsed, 1) if ok and elapsed > 0 else 0,
        "server_cpu_ms_per_msg": round(server_cpu / a.expect, 3),
        "dns_cpu_ms_per_msg": round(dns_cpu / a.expect, 3),
        "peak_pss_kb": peak_pss,
        "gen_cpu_ms_per_msg": generator.get("cpu_ms_per_msg", 0),
        "gen_sign_s": generator.get("sign_s", 0),
        "gen_rc": gen.returncode,
        "problem": problem,
    }))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
