#!/usr/bin/env python3
"""HTTP proxy on a Unix socket, for apt in image builds inside the docker smoke test's network namespace.

The namespace has no route out (that is the point); socat joins 127.0.0.1:3142 inside it to this
socket, and this process, in the machine's own namespace, fetches from the Debian mirror. Only GET
of http:// URLs on the mirrors below is served. .deb files are cached in CACHE_DIR (their names carry
the version, so a cached file never goes stale), which keeps warm runs off the network.

Usage: apt-proxy.py SOCKET CACHE_DIR
"""
import http.server
import os
import shutil
import socketserver
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

MIRRORS = {"deb.debian.org"}
TIMEOUT_S = 60


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.scheme != "http" or url.hostname not in MIRRORS:
            self.send_error(403, "only http://deb.debian.org")
            return
        cached = None
        if url.path.endswith(".deb"):
            cached = os.path.join(CACHE, os.path.basename(url.path))
            if os.path.isfile(cached):
                with open(cached, "rb") as f:
                    self.reply(200, os.path.getsize(cached), f)
                return
        try:
            with urllib.request.urlopen(self.path, timeout=TIMEOUT_S) as r:
                if cached is None:
                    data = r.read()  # indexes: a few MB at most; read whole, so the length is known
                    self.send_response(r.status)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                # Whole file first, then rename: a cut download never enters the cache.
                fd, tmp = tempfile.mkstemp(dir=CACHE, suffix=".part")
                with os.fdopen(fd, "wb") as out:
                    shutil.copyfileobj(r, out)
                os.replace(tmp, cached)
            with open(cached, "rb") as f:
                self.reply(200, os.path.getsize(cached), f)
        except urllib.error.HTTPError as e:
            self.send_error(e.code, e.reason)
        except OSError as e:
            self.send_error(502, str(e))

    def reply(self, status, length, body):
        self.send_response(status)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        shutil.copyfileobj(body, self.wfile)

    def address_string(self):
        return "netns"

    def log_message(self, fmt, *args):
        pass


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if __name__ == "__main__":
    SOCKET, CACHE = sys.argv[1], sys.argv[2]
    os.makedirs(CACHE, exist_ok=True)
    if os.path.exists(SOCKET):
        os.unlink(SOCKET)
    with Server(SOCKET, Handler) as server:
        server.serve_forever()
