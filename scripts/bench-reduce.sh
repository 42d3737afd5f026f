#!/usr/bin/env bash
# Benchmark, not a test: parahpc reduce's reproducible sum against the plain one, side by side in
# one run. Goals (issue 17):
#   1. the reproducible sum gives one result, the correctly rounded exact sum, on every
#      ranks x threads point and under every allreduce algorithm Open MPI offers (tuned 1-6);
#   2. the plain sum gives several results on the default data (the lesson is visible);
#   3. the reproducible local sum costs at most 1.5x the plain one at 10^7 doubles per rank, and
#      the reproducible one-value allreduce at most 1.5x MPI_Allreduce's latency on 2 ranks.
# The VMs are noisy: the timed runs alternate, five each, and the medians are compared.
# Usage: scripts/bench-reduce.sh [ranks]   (default: the cores, at most 4)
set -euo pipefail
source "$(dirname "$0")/bench-setup.sh"
bin=$repo/target/release/parahpc
ranks=${1:-$(($(nproc) < 4 ? $(nproc) : 4))}
over=()
(($(nproc) < ranks)) && over=(--oversubscribe)

# Part 1 checks bits, not speed: 2 threads per rank even where that oversubscribes the cores.
echo "== 1 and 2: 1..$ranks ranks x 1..2 threads, 10^6 values of the cancel data, each allreduce algorithm"
for algorithm in default 1 2 3 4 5 6; do
  env=()
  [[ $algorithm != default ]] && env=(OMPI_MCA_coll_tuned_use_dynamic_rules=1 "OMPI_MCA_coll_tuned_allreduce_algorithm=$algorithm")
  env "${env[@]}" mpirun "${over[@]}" -n "$ranks" "$bin" reduce --n 1M --threads 2 --repeats 3 -q \
    -o "sweep-$algorithm.h5" --json "sweep-$algorithm.json" >/dev/null 2> >(grep -v -e "^parahpc: wrote" -e "oversubscribed" >&2)
done
python3 - <<'PY'
import glob, json
exact, reproducible, plain = set(), set(), set()
for f in sorted(glob.glob("sweep-*.json")):
    d = json.load(open(f))
    rows = d["reduce"]["rows"]
    exact.add(d["reduce"]["attributes"]["exact_sum_bits"])
    reproducible |= {r["result_bits"] for r in rows if r["method"] == "reproducible"}
    plain |= {r["result_bits"] for r in rows if r["method"] == "plain"}
print(f"exact sum: {sorted(exact)}")
print(f"reproducible: {len(reproducible)} distinct result(s) {sorted(reproducible)}: goal 1, the exact sum: "
      + ("met" if reproducible == exact and len(exact) == 1 else "MISSED"))
print(f"plain: {len(plain)} distinct result(s): goal several: " + ("met" if len(plain) > 1 else "MISSED"))
PY

echo "== 3: cost against plain, 10^7 values on 1 rank x 1 thread, and the one-value allreduce on 2 ranks"
for run in 1 2 3 4 5; do
  mpirun "${over[@]}" -n 2 "$bin" reduce --n 10M --ranks 1 --thread-counts 1 --threads 1 --repeats 5 -q \
    -o "cost-$run.h5" --json "cost-$run.json" >/dev/null 2> >(grep -v -e "^parahpc: wrote" -e "oversubscribed" >&2)
done
python3 - <<'PY'
import datetime, glob, json, statistics
local, gather, op = [], [], []
for f in sorted(glob.glob("cost-*.json")):
    d = json.load(open(f))
    local += [r["cost_vs_plain"] for r in d["reduce"]["rows"] if r["method"] == "reproducible"]
    rows = d["reduce/allreduce"]["rows"]
    gather += [r["cost_vs_plain"] for r in rows if r["method"] == "reproducible-gather"]
    op += [r["cost_vs_plain"] for r in rows if r["method"] == "reproducible-op"]
# The scalar goal is parahpc's reproducible one-value allreduce (the gather); the superaccumulator
# operation, which is what the sweep uses, is shown beside it: its 552-byte message sets its cost.
for name, ratios, goal in [("local sum, 10^7 doubles", local, True),
                           ("one-value allreduce, 2 ranks, allgather + exact sum", gather, True),
                           ("one-value allreduce, 2 ranks, superaccumulator op", op, False)]:
    m = statistics.median(ratios)
    verdict = ("goal <= 1.5: " + ("met" if m <= 1.5 else "MISSED")) if goal else "(for comparison, no goal)"
    print(f"{name}: reproducible / plain = {m:.2f} (median of {len(ratios)}: {', '.join(f'{r:.2f}' for r in ratios)}); {verdict}")
kernels = sorted({r["exact_kernel"] for f in glob.glob("cost-*.json") for r in json.load(open(f))["reduce"]["rows"]})
cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
print(f"| reproducible sum against plain, 10^7 doubles, 1 rank | (goal) | | {', '.join(kernels)} | "
      f"{statistics.median(local):.2f} (<= 1.5) | {cpu} | {datetime.date.today().isoformat()} |")
PY
