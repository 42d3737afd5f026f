#!/usr/bin/env bash
# Benchmark, not a test: the course's Python task farm, multiprocessing.Pool(cores).map of 200 000
# tiny tasks (carre: x*x), against parahpc pool with the same tasks and chunk sizes on the same
# number of cores (mpirun -n cores: rank 0 dispatches, the others work), side by side in one run.
# Each side's best of 3 runs. Goal: at least 50x Python's tasks/s at chunksize 1 and 10x at 1000.
set -euo pipefail
source "$(dirname "$0")/bench-setup.sh"
cores=$(nproc)
tasks=200000

cat > pool.py <<'PY'
import multiprocessing as mp, sys, time
def carre(x):
    return x * x
if __name__ == "__main__":
    cores, tasks, chunksize = map(int, sys.argv[1:])
    best = 0.0
    with mp.Pool(cores) as pool:
        for _ in range(3):
            t = time.perf_counter()
            squares = pool.map(carre, range(tasks), chunksize=chunksize)
            best = max(best, tasks / (time.perf_counter() - t))
            assert squares == [x * x for x in range(tasks)]
    print(best)
PY

echo "$tasks tasks, $cores cores; python3 $(python3 -c 'import sys; print(sys.version.split()[0])'), tasks/s (best of 3)"
printf '%-10s%14s%14s%8s  %s\n' chunksize Python parahpc ratio goal
for chunksize in 1 1000; do
  python=$(python3 pool.py "$cores" "$tasks" "$chunksize")
  mpirun -n "$cores" "$repo/target/release/parahpc" pool --tasks "$tasks" --chunksize "$chunksize" --repeats 3 -q \
    -o "pool-$chunksize.h5" --json "pool-$chunksize.json" >/dev/null
  PYTHON=$python CHUNKSIZE=$chunksize python3 - <<'PY'
import json, os
chunksize = int(os.environ["CHUNKSIZE"])
ours = max(r["tasks_per_s"] for r in json.load(open(f"pool-{chunksize}.json"))["pool"]["rows"])
theirs = float(os.environ["PYTHON"])
goal = 50 if chunksize == 1 else 10
ratio = ours / theirs
print(f"{chunksize:<10}{theirs:14.4g}{ours:14.4g}{ratio:8.1f}  >= {goal} " + ("met" if ratio >= goal else "MISSED"))
PY
done
