#!/usr/bin/env python3
"""bench/scrape_targets.py TARGETS SERIES PORTS_FILE: the scrape targets of bench/scrape_vs_peers.sh.

One asyncio process listening on TARGETS loopback ports (each chosen by the kernel), each serving
GET (any path) with a Prometheus text exposition (0.0.4) of SERIES series of one gauge family:

  bench_metric{target="t17",series="s123",group="g3",kind="beta"} 1239

4 labels per series (the scraper adds job and instance). The value of series i of a target at
its n-th scrape is base_i + n * step_i, step_i = i % 4: a quarter of the series stay constant,
the others grow by 1-3 each scrape, so every scrape brings new values. The body's text is built
once per target as a %-format string; a request only fills in the SERIES numbers (~0.2 ms), so
this process stays far from being the bottleneck (the benchmark prints its CPU time too).
HTTP/1.1 keep-alive, Content-Length, no compression (Accept-Encoding is ignored, for every
scraper alike). Once every port listens their numbers are written to PORTS_FILE, one line,
space-separated (written to a temporary name then renamed, so a reader never sees half a list).
"""
import asyncio
import os
import sys

KINDS = ("alpha", "beta", "gamma", "delta")


class Target:
    def __init__(self, t, series):
        lines = ["# HELP bench_metric A synthetic gauge of the scrape benchmark.",
                 "# TYPE bench_metric gauge"]
        for i in range(series):
            lines.append(f'bench_metric{{target="t{t}",series="s{i}",group="g{i % 20}",'
                         f'kind="{KINDS[i % 4]}"}} %d')
        self.fmt = "\n".join(lines) + "\n"
        self.base = [1000 * t + 7 * i for i in range(series)]
        self.step = [i % 4 for i in range(series)]
        self.n = 0

    def body(self):
        n = self.n
        self.n += 1
        return (self.fmt % tuple(b + n * s for b, s in zip(self.base, self.step))).encode()


async def serve(target, reader, writer):
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            close = b"\nconnection: close" in head.lower()
            body = target.body()
            writer.write(b"HTTP/1.1 200 OK\r\n"
                         b"Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                         b"Content-Length: %d\r\n%s\r\n" % (len(body), b"Connection: close\r\n" if close else b"")
                         + body)
            await writer.drain()
            if close:
                return
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main():
    targets, series, ports_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    servers = []
    for t in range(targets):
        target = Target(t, series)
        servers.append(await asyncio.start_server(
            lambda r, w, target=target: serve(target, r, w), "127.0.0.1", 0, backlog=64))
    ports = [s.sockets[0].getsockname()[1] for s in servers]
    with open(ports_file + ".tmp", "w") as f:
        f.write(" ".join(map(str, ports)) + "\n")
    os.rename(ports_file + ".tmp", ports_file)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
