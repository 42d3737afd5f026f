#!/usr/bin/env bash
# Benchmark, not a test: parahpc comm against OSU Micro-Benchmarks 7.4 (osu_latency, osu_bw,
# osu_bibw, osu_allreduce) at every size from 1 B to 4 MiB and against HPCC's ping-pong, on 2
# ranks of this node, side by side: the tools alternate for a number of rounds (default 3; these
# VMs are noisy) and the medians are compared.
# Goals (issue 25): latency <= 1.00x osu_latency and HPCC at 8 B and 1 KiB; bandwidth and
# bi-directional bandwidth >= 1.00x osu_bw / osu_bibw at every size from 1 KiB to 4 MiB;
# allreduce <= 1.00x osu_allreduce at every size.
# HPCC's latency is the best of 5 loops of 8 round trips (src/bench_lat_bw_1.5.2.c), a best case,
# printed beside parahpc's fastest loop and its sampled median round trip.
# OSU: OSU_DIR names a build's top directory; otherwise the tarball in ../shared/anchors/ is
# built here with this MPI's mpicc (a minute).
# Usage: scripts/bench-comm.sh [rounds]
set -euo pipefail
source "$(dirname "$0")/bench-setup.sh"
rounds=${1:-3}

if [[ -z ${OSU_DIR:-} ]]; then
  tarball=$(ls "$repo"/../shared/anchors/osu-micro-benchmarks-7.4.tar.gz 2>/dev/null || true)
  [[ -n $tarball ]] || { echo "set OSU_DIR to a built OSU 7.4, or put its tarball in ../shared/anchors/" >&2; exit 1; }
  mkdir osu && tar xzf "$tarball" -C osu --strip-components 1
  (cd osu && ./configure CC=mpicc CXX=mpicxx >/dev/null && make -j "$(nproc)" >/dev/null)
  OSU_DIR=$work/osu
fi
pt2pt=$OSU_DIR/c/mpi/pt2pt/standard
coll=$OSU_DIR/c/mpi/collective/blocking

# HPCC's example input, on a 1 x 2 process grid with a small HPL problem (its other tests run too).
sed -e 's/^2 *Ps/1            Ps/' /usr/share/doc/hpcc/examples/_hpccinf.txt > hpccinf.txt
for round in $(seq "$rounds"); do
  mpirun -n 2 hpcc >/dev/null
  mv hpccoutf.txt "hpcc-$round.txt"
  mpirun -n 2 "$pt2pt/osu_latency" -m 1:4194304 >"osu-latency-$round.txt"
  mpirun -n 2 "$pt2pt/osu_bw" -m 1:4194304 >"osu-bw-$round.txt"
  mpirun -n 2 "$pt2pt/osu_bibw" -m 1:4194304 >"osu-bibw-$round.txt"
  mpirun -n 2 "$coll/osu_allreduce" -m 8:4194304 >"osu-allreduce-$round.txt"
  mpirun -n 2 "$repo/target/release/parahpc" comm --max-bytes 4M -q -o "p-$round.h5" --json "p-$round.json" \
    >/dev/null 2> >(grep -v "^parahpc: wrote" >&2)
done

python3 - <<'PY'
import datetime, glob, json, re, statistics
cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
date = datetime.date.today().isoformat()
med = statistics.median

def osu(test):
    runs = []
    for f in sorted(glob.glob(f"osu-{test}-*.txt")):
        rows = [l.split() for l in open(f) if l.strip() and l.split()[0].isdigit()]
        runs.append({int(r[0]): float(r[1]) for r in rows})
    return {size: [r[size] for r in runs] for size in runs[0]}

ours = {}
for f in sorted(glob.glob("p-*.json")):
    d = json.load(open(f))
    for r in d["comm/pt2pt"]["rows"]:
        for k, col in [("latency", "latency_us_median"), ("latency_min", "latency_us_min"), ("p50", "latency_us_p50"),
                       ("bw", "bandwidth_MBps"), ("bibw", "bibandwidth_MBps")]:
            ours.setdefault((k, r["bytes"]), []).append(r[col])
    for r in d["comm/collectives"]["rows"]:
        if r["op"] == "allreduce":
            ours.setdefault(("allreduce", r["bytes"]), []).append(r["time_us_median"])
theirs = {t: osu(t) for t in ["latency", "bw", "bibw", "allreduce"]}
# Lower is better for times, higher for bandwidths: a ratio > 1 means parahpc is better for a
# bandwidth, worse for a time.
goals = {"latency": (lambda s: s in (8, 1024), "<="), "bw": (lambda s: s >= 1024, ">="),
         "bibw": (lambda s: s >= 1024, ">="), "allreduce": (lambda s: True, "<=")}
print(f"medians of {len(glob.glob('p-*.json'))} alternating rounds, parahpc / OSU 7.4")
print(f"{'size':>9}{'latency':>9}{'bw':>7}{'bibw':>7}{'allreduce':>11}")
missed, worst = {t: [] for t in theirs}, {}
for size in sorted(theirs["bw"]):
    line = f"{size:>9}"
    for t, width in [("latency", 9), ("bw", 7), ("bibw", 7), ("allreduce", 11)]:
        if size not in theirs[t] or (t, size) not in ours:
            line += " " * width
            continue
        ratio = med(ours[(t, size)]) / med(theirs[t][size])
        applies, sense = goals[t]
        bad = applies(size) and (ratio > 1.0 if sense == "<=" else ratio < 1.0)
        if applies(size):
            worst[t] = max(worst.get(t, ratio), ratio) if sense == "<=" else min(worst.get(t, ratio), ratio)
        if bad:
            missed[t].append(size)
        line += f"{ratio:{width}.2f}" + ("*" if bad else "")
    print(line)
print("* misses its goal; goals: latency <= 1.00 at 8 B and 1 KiB, bandwidths >= 1.00 from 1 KiB, allreduce <= 1.00")
for t, sizes in missed.items():
    print(f"{t}: " + ("goal met" if not sizes else f"goal MISSED at {len(sizes)} size(s): {sizes}"))

hpcc = [float(dict(re.findall(r"^(\w+)=(\S+)$", open(f).read(), re.M))["AvgPingPongLatency_usec"]) for f in sorted(glob.glob("hpcc-*.txt"))]
print(f"latency, 8 B [us]: HPCC {med(hpcc):.3f} (best of 5 loops of 8); parahpc fastest loop {med(ours[('latency_min', 8)]):.3f}, "
      f"median loop {med(ours[('latency', 8)]):.3f}, sampled p50 {med(ours[('p50', 8)]):.3f}; osu_latency {med(theirs['latency'][8]):.3f}")
print()
print("rows for docs/performance.md:")
for t, label, sense in [("latency", "latency 8 B and 1 KiB", "<="), ("bw", "bandwidth 1 KiB-4 MiB", ">="),
                        ("bibw", "bi-bandwidth 1 KiB-4 MiB", ">="), ("allreduce", "allreduce 8 B-4 MiB", "<=")]:
    print(f"| {label}, 2 ranks | osu_{t} | | | worst {worst[t]:.2f}x, {len(missed[t])} size(s) missed | {cpu} | {date} |")
print(f"| latency 8 B, 2 ranks | HPCC | {med(hpcc):.3f} us | {med(ours[('latency_min', 8)]):.3f} us | "
      f"{med(ours[('latency_min', 8)]) / med(hpcc):.2f}x | {cpu} | {date} |")
PY
