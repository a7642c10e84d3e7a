#!/usr/bin/env python3
"""A reverse proxy that answers 503 while a switch file exists (tests of a server that fails, then
recovers). Usage: unavailable_proxy.py UPSTREAM_URL SWITCH_FILE PORT_FILE. Listens on an ephemeral
loopback port, written to PORT_FILE; forwards every request (method, path, headers, body) to
UPSTREAM_URL and relays the answer, or answers 503 without forwarding while SWITCH_FILE exists."""
import http.client
import http.server
import os
import sys
import urllib.parse

UPSTREAM = urllib.parse.urlparse(sys.argv[1])
SWITCH = sys.argv[2]
HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self, code, headers, body):
        self.send_response(code)
        for name, value in headers:
            if name.lower() not in HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _relay(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if os.path.exists(SWITCH):
            self._answer(503, [("Content-Type", "text/plain")], b"unavailable (test switch)\n")
            return
        conn = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self._answer(resp.status, resp.getheaders(), data)
        conn.close()

    do_GET = do_POST = _relay


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[3] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[3] + ".tmp", sys.argv[3])
server.serve_forever()
