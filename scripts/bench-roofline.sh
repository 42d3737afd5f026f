#!/usr/bin/env bash
# Benchmark, not a test: parahpc roofline's ceilings against likwid-bench (Debian's likwid), side
# by side in one run, one thread on one core. Goals (issue 16): the per-core f64 peak of every
# vector unit the CPU has within ±5 % of likwid-bench's peakflops kernel for it, and the DRAM
# triad bandwidth at least likwid-bench's stream_mem at the same working set.
# The VMs are noisy: the two sides alternate, 3 runs each, and the medians are compared.
# Usage: scripts/bench-roofline.sh [working set for DRAM, default 1G]
set -euo pipefail
source "$(dirname "$0")/bench-setup.sh"
if ! command -v likwid-bench >/dev/null; then
  [[ $(id -u) == 0 ]] || { echo "bench-roofline: install the Debian package likwid" >&2; exit 1; }
  apt-get install -y -qq --no-install-recommends likwid >/dev/null
fi
bin=$repo/target/release/parahpc
dram=${1:-1G}
flags=$(grep -m1 '^flags' /proc/cpuinfo)
# parahpc unit name -> likwid-bench kernel (one thread, 32 kB in L1).
kernels=("sse2 peakflops_sse")
[[ $flags == *" avx2 "* && $flags == *" fma "* ]] && kernels+=("avx2+fma peakflops_avx_fma")
[[ $flags == *" avx512f "* ]] && kernels+=("avx512f peakflops_avx512_fma")
stream=stream_mem_sse
[[ $flags == *" avx "* ]] && stream=stream_mem_avx
[[ $flags == *" avx512f "* ]] && stream=stream_mem_avx512
likwid_dram=$(python3 -c "import sys; s=sys.argv[1]; print(s[:-1] + {'K':'kB','M':'MB','G':'GB'}[s[-1]] if s[-1] in 'KMG' else s + 'B')" "$dram")

for run in 1 2 3; do
  for k in "${kernels[@]}"; do
    set -- $k
    likwid-bench -t "$2" -w S0:32kB:1 2>/dev/null | awk -v u="$1" '/^MFlops\/s:/ {print "likwid", u, $2 / 1000}' >>results.txt
  done
  likwid-bench -t "$stream" -w "S0:$likwid_dram:1" 2>/dev/null | awk '/^MByte\/s:/ {print "likwid", "dram-triad", $2 / 1000}' >>results.txt
  "$bin" roofline --threads 1 --dram-bytes "$dram" --gemm-n 128 --repeats 5 -q -o "r$run.h5" --json "r$run.json" \
    >/dev/null 2> >(grep -v "^parahpc: wrote" >&2)
  python3 - "r$run.json" >>results.txt <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["roofline/compute"]["rows"]:
    if r["precision"] == "f64" and r["scope"] == "core":
        print("parahpc", r["unit"], r["gflops"])
for r in d["roofline/memory"]["rows"]:
    if r["level"] == "DRAM" and r["kernel"] == "triad" and r["scope"] == "core":
        print("parahpc", "dram-triad", r["gbps"])
PY
done

python3 - <<'PY'
import collections, statistics
got = collections.defaultdict(list)
for line in open("results.txt"):
    side, what, value = line.split()
    got[(side, what)].append(float(value))
print(f"{'ceiling':<14}{'likwid-bench':>14}{'parahpc':>12}{'ratio':>8}  goal")
for what in sorted({w for _, w in got}):
    if not (got[("likwid", what)] and got[("parahpc", what)]):
        continue
    theirs, ours = statistics.median(got[("likwid", what)]), statistics.median(got[("parahpc", what)])
    ratio = ours / theirs
    if what == "dram-triad":
        goal, met = ">= 1.00 (GB/s)", ratio >= 1.0
    else:
        goal, met = "0.95-1.05 (GFLOP/s)", 0.95 <= ratio <= 1.05
    print(f"{what:<14}{theirs:14.2f}{ours:12.2f}{ratio:8.2f}  {goal} " + ("met" if met else "MISSED"))
PY
