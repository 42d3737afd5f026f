#!/usr/bin/env bash
# Benchmark, not a test: parahpc comm against the HPC Challenge suite's ping-pong, side by side
# in one run on 2 ranks of this node, with the ratios, then (with OSU_DIR) against OSU Micro-Benchmarks
# at every size. Goals: small-message latency at most
# 1.10× HPCC's, large-message bandwidth at least 0.95× HPCC's.
# HPCC measures latency with 8-byte messages and bandwidth with 2,000,000-byte ping-pongs, and
# reports the best (minimum-time) of its repeated measurements (src/bench_lat_bw_1.5.2.c). So
# parahpc runs at exactly those sizes, and its minimum latency is compared, with ping-pong
# bandwidth taken as bytes / minimum one-way time.
set -euo pipefail
source "$(dirname "$0")/bench-setup.sh"

# HPCC's example input, on a 1 × 2 process grid with a small HPL problem (its other tests run too).
sed -e 's/^2 *Ps/1            Ps/' /usr/share/doc/hpcc/examples/_hpccinf.txt > hpccinf.txt
mpirun -n 2 hpcc >/dev/null
mpirun -n 2 "$repo/target/release/parahpc" comm --min-bytes 8 --max-bytes 2000000 --repeats 10 -q -o parahpc.h5 --json parahpc.json >/dev/null

python3 - <<'PY'
import json, re
hpcc = dict(re.findall(r"^(\w+)=(\S+)$", open("hpccoutf.txt").read(), re.M))
rows = json.load(open("parahpc.json"))["comm/pt2pt"]["rows"]
by_size = {r["bytes"]: r for r in rows}
lat_p, lat_h = by_size[8]["latency_us_min"], float(hpcc["AvgPingPongLatency_usec"])
# HPCC's GBytes are 10^9 bytes; bytes per µs are MB/s.
bw_p, bw_h = 2_000_000 / by_size[2_000_000]["latency_us_min"] / 1e3, float(hpcc["AvgPingPongBandwidth_GBytes"])
print(f"{'':28}{'parahpc':>10}{'HPCC':>10}{'ratio':>8}  goal")
print(f"{'latency, 8 B [us]':28}{lat_p:10.3f}{lat_h:10.3f}{lat_p / lat_h:8.2f}  <= 1.10 " + ("met" if lat_p / lat_h <= 1.10 else "MISSED"))
print(f"{'bandwidth, 2 MB [GB/s]':28}{bw_p:10.3f}{bw_h:10.3f}{bw_p / bw_h:8.2f}  >= 0.95 " + ("met" if bw_p / bw_h >= 0.95 else "MISSED"))
PY

# Against OSU Micro-Benchmarks (issue 20's goal): every size from 1 B to 4 MiB, 2 ranks, the same
# run. OSU is not a Debian package: build it from its source tarball with this MPI's mpicc
# (./configure CC=mpicc CXX=mpicxx && make) and point OSU_DIR at the directory holding
# osu_latency, osu_bw and osu_bibw (c/mpi/pt2pt/standard in OSU 7.4).
if [[ -z ${OSU_DIR:-} ]]; then
  echo "OSU: skipped (set OSU_DIR to a built OSU Micro-Benchmarks' pt2pt directory)"
  exit 0
fi
for run in 1 2 3; do
  for t in latency bw bibw; do
    mpirun -n 2 "$OSU_DIR/osu_$t" -m 1:4194304 >"osu-$t-$run.txt"
  done
  mpirun -n 2 "$repo/target/release/parahpc" comm --max-bytes 4M -q -o "p$run.h5" --json "p$run.json" >/dev/null \
    2> >(grep -v "^parahpc: wrote" >&2)
done
python3 - <<'PY'
import glob, json, statistics
def osu(test):
    runs = []
    for f in sorted(glob.glob(f"osu-{test}-*.txt")):
        rows = [l.split() for l in open(f) if l.strip() and not l.startswith("#")]
        runs.append({int(r[0]): float(r[1]) for r in rows})
    return {size: statistics.median(r[size] for r in runs) for size in runs[0]}
ours = {}
for f in sorted(glob.glob("p*.json")):
    for r in json.load(open(f))["comm/pt2pt"]["rows"]:
        for k, col in [("latency", "latency_us_median"), ("bw", "bandwidth_MBps"), ("bibw", "bibandwidth_MBps")]:
            ours.setdefault((k, r["bytes"]), []).append(r[col])
print(f"{'size':>9}{'lat ratio':>11}{'bw ratio':>10}{'bibw ratio':>12}   goal: latency <= 1.00, bandwidths >= 1.00")
theirs = {t: osu(t) for t in ["latency", "bw", "bibw"]}
missed = 0
for size in sorted(theirs["bw"]):
    ratio = {t: statistics.median(ours[(t, size)]) / theirs[t][size] for t in theirs}
    bad = ratio["latency"] > 1.0 or ratio["bw"] < 1.0 or ratio["bibw"] < 1.0
    missed += bad
    print(f"{size:>9}{ratio['latency']:11.2f}{ratio['bw']:10.2f}{ratio['bibw']:12.2f}" + ("   MISSED" if bad else ""))
print("goal " + ("met at every size" if not missed else f"MISSED at {missed} size(s)"))
PY
