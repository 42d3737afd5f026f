#!/usr/bin/env bash
# Not CI: the test files that ever flaked, run N times in a row while a CPU-heavy job runs beside
# them (one busy loop per core), as a busy cluster node or a shared laptop would be. A failure is
# a bug to fix, not to retry; the run stops at the first one and keeps its log.
# Usage: scripts/stress-tests.sh [N, default 10] [test files, default: faults amdahl suite falseshare]
# As root with the emulated cluster up (scripts/two-nodes.sh up; eval "$(scripts/slurm-up.sh
# --two-nodes)"), add two_nodes and slurm: their tests are run with --ignored, with the cluster's
# Open MPI settings (TCP over the veth only, as scripts/test.sh sets them).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
shift || true
files=("${@:-faults amdahl suite falseshare}")
read -r -a files <<<"${files[*]}"
source scripts/mpi-env.sh
# Without these, a job's ranks may try the machine's own external interface between themselves.
if [[ " ${files[*]} " == *" two_nodes "* || " ${files[*]} " == *" slurm "* ]]; then
  eval "$(scripts/two-nodes.sh env)"
fi
cargo build --release --locked --tests >/dev/null
hogs=()
for _ in $(seq "$(nproc)"); do
  (while :; do :; done) &
  hogs+=($!)
done
trap 'kill "${hogs[@]}" 2>/dev/null || true' EXIT
log=$(mktemp)
for run in $(seq "$runs"); do
  for f in "${files[@]}"; do
    ignored=()
    [[ $f == two_nodes || $f == slurm ]] && ignored=(--ignored)
    if ! cargo test --release --locked --test "$f" -- "${ignored[@]}" --test-threads=1 >"$log" 2>&1; then
      echo "stress-tests: run $run of $runs: tests/$f.rs FAILED beside $(nproc) busy loops; log: $log" >&2
      grep -E "^test .*FAILED|panicked" "$log" >&2 || true
      exit 1
    fi
    echo "stress-tests: run $run of $runs: tests/$f.rs passed" >&2
  done
done
rm -f "$log"
echo "stress-tests: ${files[*]} passed $runs times in a row beside $(nproc) busy loops" >&2
