#!/usr/bin/env python3
"""N event-stream clients of the dashboard's live trace (GET /api/trace/stream), as N browser tabs on the
Live trace page hold one EventSource each, asking for what the page asks for (view=row) unless a 4th
argument names another view ("full": whole events, as an API script would), and with rate=500 (the page's
allowance, events a second) unless a 5th argument names another ("none": every event). Prints "ready" once all are
connected; on SIGTERM prints one JSON line: events and bytes received, and this process's own CPU
seconds. Standard library only."""
import asyncio, json, os, resource, signal, sys

host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
view = sys.argv[4] if len(sys.argv) > 4 else "row"
rate = sys.argv[5] if len(sys.argv) > 5 else "500"
query = f"view={view}" + ("" if rate == "none" else f"&rate={rate}")
gaps = 0
events = 0
received = 0


async def client(ready):
    global events, received, gaps
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET /api/trace/stream?{query} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise SystemExit(f"stream refused: {status!r}")
    ready()
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            raise SystemExit("the dashboard closed a stream")
        received += len(chunk)
        events += chunk.count(b"event: trace")
        gaps += chunk.count(b"event: gap")


async def main():
    connected = 0
    all_ready = asyncio.Event()

    def ready():
        nonlocal connected
        connected += 1
        if connected == n:
            all_ready.set()

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    tasks = [asyncio.create_task(client(ready)) for _ in range(n)]
    await all_ready.wait()
    print("ready", flush=True)
    await stop.wait()
    for t in tasks:
        t.cancel()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"clients": n, "events": events, "gaps": gaps, "bytes": received, "cpu_s": round(usage.ru_utime + usage.ru_stime, 2)}), flush=True)


asyncio.run(main())
