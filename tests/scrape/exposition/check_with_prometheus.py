#!/usr/bin/env python3
"""Checks the case files of this folder against a real Prometheus (2.42, Debian's `prometheus`).

Serves every case body over HTTP (text/plain; version=0.0.4, or application/openmetrics-text), lets
Prometheus scrape them all for a few seconds (honor_timestamps: false, so old timestamps are not
refused as out of bounds), then compares per case: an `--- error` case must leave its target down,
an `--- expect` case up with exactly the expected series and values stored (timestamps and exemplars
are not compared: Prometheus stores neither here). Prints one line per case and exits 1 on any
mismatch. Not run by ctest (it needs the prometheus binary and ~10 s); run it after editing cases:

    python3 tests/scrape/exposition/check_with_prometheus.py [--prometheus /usr/bin/prometheus]
"""
import argparse
import glob
import http.server
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def load_case(path):
    case = {"name": os.path.basename(path)[:-4], "format": None, "error": None, "expect": []}
    section = None
    with open(path, encoding="utf-8", newline="\n") as f:
        for line in f.read().split("\n")[:-1]:
            if line.startswith("--- "):
                section = line[4:]
                continue
            if section is None:
                if line.startswith("format: "):
                    case["format"] = line[8:]
                if line.startswith("options: ") and "max_line_bytes" in line:
                    case["skip"] = "max_line_bytes is Gnomon's option"
            elif section == "error" and line:
                case["error"] = line
            elif section == "expect" and line:
                case["expect"].append(line)
    return case


def body_bytes(path):
    """The body of a case file as bytes: UTF-8 text with the markers decoded to raw bytes."""
    out, section, no_eol = b"", None, False
    with open(path, "rb") as f:
        for raw in f.read().split(b"\n")[:-1]:
            if raw.startswith(b"--- "):
                section = raw[4:]
                continue
            if section != b"input":
                continue
            if raw.endswith(b"<NOEOL>"):
                raw, no_eol = raw[:-7], True
            raw = re.sub(rb"<(CR|TAB|SP|NUL|x[0-9A-Fa-f]{2})>", lambda m: {
                b"CR": b"\r", b"TAB": b"\t", b"SP": b" ", b"NUL": b"\0"}.get(m.group(1)) or bytes(
                    [int(m.group(1)[1:], 16)]), raw)
            out += raw + (b"" if no_eol else b"\n")
    return out


def parse_expect(line):
    """`name{a="b",...} value ...` -> (frozenset of (name, value) pairs, float value)."""
    m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)", line)
    name, rest = m.group(1), line[m.end():]
    labels = {"__name__": name}
    if rest.startswith("{"):
        i = 1
        while rest[i] != "}":
            if rest[i] == ",":
                i += 1
            lm = re.match(r'([a-zA-Z_][a-zA-Z0-9_]*)="', rest[i:])
            lname, i = lm.group(1), i + lm.end()
            value = b""
            while rest[i] != '"':
                if rest[i] == "\\":
                    value += {"\\": b"\\", '"': b'"', "n": b"\n"}[rest[i + 1]]
                    i += 2
                elif rest.startswith("<x", i):
                    value += bytes([int(rest[i + 2:i + 4], 16)])
                    i += 5
                else:
                    value += rest[i].encode("utf-8")
                    i += 1
            labels[lname] = value.decode("utf-8")
            i += 1
        rest = rest[i + 1:]
    return frozenset(labels.items()), float(rest.split()[0])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prometheus", default=shutil.which("prometheus") or "/usr/bin/prometheus")
    ap.add_argument("--seconds", type=float, default=6)
    args = ap.parse_args()

    cases = {}
    for path in sorted(glob.glob(os.path.join(HERE, "*.txt"))):
        c = load_case(path)
        c["bytes"] = body_bytes(path)
        if "skip" in c:
            print("skipped  %s: %s" % (c["name"], c["skip"]))
            continue
        cases[c["name"]] = c

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            c = cases.get(self.path.rsplit("/", 1)[-1])
            if c is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8"
                             if c["format"] == "openmetrics" else "text/plain; version=0.0.4; charset=utf-8")
            self.send_header("Content-Length", str(len(c["bytes"])))
            self.end_headers()
            self.wfile.write(c["bytes"])

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    target = "127.0.0.1:%d" % server.server_address[1]

    work = tempfile.mkdtemp(prefix="expo-prom-")
    config = {"global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
              "scrape_configs": [{"job_name": "cases", "honor_timestamps": False, "static_configs": [
                  {"targets": [target], "labels": {"__metrics_path__": "/case/" + n, "case": n}} for n in cases]}]}
    with open(os.path.join(work, "prometheus.yml"), "w") as f:
        json.dump(config, f)  # JSON is YAML
    web = "127.0.0.1:%d" % free_port()
    prom = subprocess.Popen([args.prometheus, "--config.file", os.path.join(work, "prometheus.yml"),
                             "--storage.tsdb.path", os.path.join(work, "data"), "--web.listen-address", web],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    failures = 0
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                targets = get_json("http://%s/api/v1/targets" % web)["data"]["activeTargets"]
                if len(targets) == len(cases) and all(t["lastScrape"] > "2000" for t in targets):
                    break
            except OSError:
                pass
            time.sleep(0.5)
        time.sleep(args.seconds)
        targets = {t["labels"]["case"]: t for t in get_json("http://%s/api/v1/targets" % web)["data"]["activeTargets"]}
        for name, c in cases.items():
            t = targets.get(name)
            if t is None:
                print("MISSING  %s: no target" % name)
                failures += 1
                continue
            if c["error"] is not None:
                ok = t["health"] == "down"
                print("%s %s: want error %r; Prometheus: %s %s" % ("ok      " if ok else "MISMATCH", name, c["error"],
                                                                   t["health"], t["lastError"]))
                failures += not ok
                continue
            q = urllib.parse.quote('{case="%s",__name__!~"up|scrape_.*"}' % name)
            result = get_json("http://%s/api/v1/query?query=%s" % (web, q))["data"]["result"]
            got = {}
            for s in result:
                labels = {k: v for k, v in s["metric"].items() if k not in ("job", "instance", "case")}
                got[frozenset(labels.items())] = float(s["value"][1])
            want = dict(parse_expect(line) for line in c["expect"])

            def same(a, b):
                return a == b or (math.isnan(a) and math.isnan(b))

            ok = t["health"] == "up" and got.keys() == want.keys() and all(same(got[k], want[k]) for k in want)
            print("%s %s: %s, %d series (want %d)%s" % ("ok      " if ok else "MISMATCH", name, t["health"],
                                                        len(got), len(want), "" if ok else " " + t["lastError"]))
            if not ok:
                failures += 1
                for k in sorted(set(got) | set(want), key=str):
                    print("    %s got=%s want=%s" % (dict(k), got.get(k), want.get(k)))
    finally:
        prom.terminate()
        prom.wait()
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    print("%d cases, %d mismatches" % (len(cases), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
