#!/usr/bin/env python3
"""Checks gnomond's correlation-ID lookups against gen_logs.py --ids-out: each sampled ID must give
exactly its number of lines, in time order, with offsets from 0. Prints
'checked=N wrong=M services=K [examples]'. Usage: check_log_ids.py URL IDS_TSV"""
import json
import sys
import urllib.request

url, ids = sys.argv[1], sys.argv[2]
wrong, checked, services = [], 0, set()
for row in open(ids):
    cid, n = row.rstrip("\n").split("\t")
    with urllib.request.urlopen(f"{url}/api/v1/logs/correlation/{cid}", timeout=10) as resp:
        lines = json.load(resp)["data"]["lines"]
    ts = [l["ts"] for l in lines]
    offsets = [l["offset_ms"] for l in lines]
    if len(lines) != int(n) or ts != sorted(ts) or offsets != sorted(offsets) or (lines and offsets[0] != 0):
        wrong.append(f"{cid}: {len(lines)} of {n}")
    services.update(l["service"] for l in lines)
    checked += 1
print(f"checked={checked} wrong={len(wrong)} services={len(services)} {' '.join(wrong[:3])}")
