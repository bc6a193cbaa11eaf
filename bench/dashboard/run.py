#!/usr/bin/env python3
"""Dashboard load bench (issue 17 part 5): the MTA's throughput at 10 SMTP sessions (smtp-source, as in
bench/smtp) with no dashboard client, then with N live-trace streams open (sse_clients.py), alternating
over several rounds in one lab; and the maillab process's peak RSS in each. Run by bench/dashboard/run.sh."""
import json, os, statistics, subprocess, sys, time

here = os.path.dirname(os.path.abspath(__file__))
exe, tmp = sys.argv[1], sys.argv[2]
rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
messages = int(os.environ.get("BENCH_MESSAGES", "2000"))
clients = int(os.environ.get("BENCH_CLIENTS", "50"))
sessions = int(os.environ.get("BENCH_SESSIONS", "10"))
size = int(os.environ.get("BENCH_SIZE", "10240"))
view = os.environ.get("BENCH_VIEW", "row")  # what the streams ask for: row (the Live trace page) or full
# The page asks for at most 500 events a second (TracePage.DefaultRate); an API script takes every event.
rate = os.environ.get("BENCH_RATE", "500" if view == "row" else "none")
modes = ["none", f"{clients} streams ({view}, rate {rate})"]
users = ["warmup"] + [f"r{r}m{m}" for r in range(rounds) for m in range(len(modes))]

data = os.path.join(tmp, "data")
os.makedirs(data)
lab = os.path.join(tmp, "lab.yml")
with open(lab, "w") as f:
    # Ports 0: the lab DNS, web service and dashboard on free ports (listeners.json says which).
    f.write("name: bench\ndns: { port: 0 }\nweb: { port: 0 }\nsites:\n  - name: bank\n    domains: [bank.test]\n"
            "    host-names: [mx.bank.test]\n    address: 127.0.2.1\n    ports: { mta: 0, submission: 0, submissions: 0 }\n    users:\n")
    for u in users:
        f.write(f"      - {{ address: {u}@bank.test, password: lab-{u} }}\n")
    f.write("limits: { max-connections-per-client: 1000, max-connections: 2000 }\n")
log = open(os.path.join(tmp, "maillab.log"), "w")
lab_proc = subprocess.Popen([exe, "up", "--lab", lab, "--data", data], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)


def listeners():
    path = os.path.join(data, "listeners.json")
    for _ in range(600):
        if lab_proc.poll() is not None:
            sys.exit("bench: maillab exited before binding")
        try:
            with open(path) as f:
                return json.load(f)
        except (FileNotFoundError, json.JSONDecodeError):
            time.sleep(0.1)
    sys.exit("bench: no listeners.json")


ls = listeners()
mta = next(l for l in ls if l["site"] == "bank" and l["role"] == "MTA")
dash = next(l for l in ls if l["role"] == "DASHBOARD")


def status_kb(field):
    with open(f"/proc/{lab_proc.pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(field + ":"))


def cpu_s():
    with open(f"/proc/{lab_proc.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(user, n):
    out = subprocess.run([sys.executable, os.path.join(here, "..", "smtp", "measure.py"), "--smtp-source", "/usr/sbin/smtp-source",
                          "--host", mta["address"], "--port", str(mta["port"]), "--sessions", str(sessions), "--messages", str(n),
                          "--size", str(size), "--sender", "load@client.test", "--to", f"{user}@bank.test",
                          "--maildir", os.path.join(data, "mail", "bank.test", user, "INBOX"), "--timeout", "300",
                          "--log", os.path.join(tmp, "smtp-source.log"), "--ack-durable"], capture_output=True, text=True)
    r = json.loads(out.stdout)
    if not r.get("ok"):
        sys.exit(f"bench: run {user} failed: {r}")
    return r


try:
    run("warmup", 300)
    results = {m: [] for m in modes}
    for r in range(rounds):
        for m, mode in enumerate(modes):
            sse = None
            if m == 1:
                sse = subprocess.Popen([sys.executable, os.path.join(here, "sse_clients.py"), dash["address"], str(dash["port"]), str(clients), view, rate],
                                       stdout=subprocess.PIPE, text=True)
                if sse.stdout.readline().strip() != "ready":
                    sys.exit("bench: the stream clients did not connect")
            with open(f"/proc/{lab_proc.pid}/clear_refs", "w") as f:
                f.write("5")  # resets VmHWM, so each run's peak is its own
            c0 = cpu_s()
            res = run(f"r{r}m{m}", messages)
            entry = {"rate": res["rate"], "peak_mb": status_kb("VmHWM") / 1024, "cpu_ms": (cpu_s() - c0) * 1000 / messages}
            if sse:
                sse.terminate()
                entry.update(json.loads(sse.stdout.readline()))
                sse.wait()
            results[mode].append(entry)
            print(f"bench: round {r + 1} {mode}: {json.dumps(entry)}", file=sys.stderr, flush=True)
    print(json.dumps({"results": results, "clients": clients, "messages": messages, "sessions": sessions, "size": size}))
finally:
    lab_proc.terminate()
    lab_proc.wait(15)
