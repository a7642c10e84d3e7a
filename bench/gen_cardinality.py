#!/usr/bin/env python3
"""High-cardinality line protocol for bench/cardinality_vs_vm.sh and bench/long_range_vs_vm.sh.

SERVICES x PODS series of one metric (`req,service=svc-S,pod=pod-S-P count=V T`, which gnomond
stores as req_count{service,pod}), SAMPLES samples each 10 s apart starting at BASE_S, written time
step by time step (the first SERVICES x PODS lines create every series), in files of 10,000 lines
(x000000, x000001, ...) under OUT_DIR.
Usage: gen_cardinality.py SERVICES PODS SAMPLES BASE_S OUT_DIR [POD_PREFIX=pod]
(another POD_PREFIX makes as many different series: pods restarted under new names)
"""
import os
import sys

services, pods, samples, base, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
pod_prefix = sys.argv[6] if len(sys.argv) > 6 else "pod"
os.makedirs(out)
buf, part = [], 0


def flush():
    global buf, part
    with open(os.path.join(out, f"x{part:06d}"), "w") as f:
        f.write("".join(buf))
    buf, part = [], part + 1


for k in range(samples):
    ts = (base + 10 * k) * 1_000_000_000
    for s in range(services):
        prefix = f"req,service=svc-{s},pod={pod_prefix}-{s}-"
        for p in range(pods):
            buf.append(f"{prefix}{p} count={(s * 7 + p + k * 3) % 1000} {ts}\n")
            if len(buf) == 10000:
                flush()
if buf:
    flush()
