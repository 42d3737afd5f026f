#!/usr/bin/env bash
# Installs what is missing, checks formatting and lints, builds, and runs every test: unit tests
# of the pure kernels and fits, integration tests that run the release binary under mpirun with
# 1 to 4 ranks, the same experiments across two nodes emulated on this machine
# (scripts/two-nodes.sh), and the job scripts submitted to a real two-node SLURM that this script
# brings up and stops again. The last two need root (network namespaces, daemons);
# PARAHPC_SKIP_CLUSTER=1 skips them, and says so. PARAHPC_MPI=mpich runs the unit and mpirun tests
# with MPICH instead (built into target/mpich).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
source scripts/mpi-env.sh
if [[ $PARAHPC_MPI == openmpi ]]; then
  # Habits, not suggestions: unformatted code or any clippy warning fails the run. (Once: the
  # code is the same whatever the MPI.)
  cargo fmt --check
  cargo clippy --release --locked --all-targets -- -D warnings
fi
cargo build --release --locked
# Every test's verdict goes to a log too: at the end, the tests that did not run are listed.
results=$(mktemp)
not_run() {
  local ignored ran
  ignored=$(sed -n 's/^test \(.*\) \.\.\. ignored.*$/\1/p' "$results" | sort -u)
  ran=$(sed -n 's/^test \(.*\) \.\.\. \(ok\|FAILED\)$/\1/p' "$results" | sort -u)
  local missing
  missing=$(comm -23 <(printf '%s\n' "$ignored") <(printf '%s\n' "$ran") | sed '/^$/d')
  if [[ -n $missing ]]; then
    echo "!!! tests that did NOT run ($(wc -l <<<"$missing")):" >&2
    sed 's/^/!!!   /' <<<"$missing" >&2
  else
    echo "every test ran: none was left out" >&2
  fi
  rm -f "$results"
}
trap not_run EXIT
# The unit tests and every test file; under MPICH not the two-node and SLURM files, whose tests
# need Open MPI (below) and run in the Open MPI pass.
targets=(--bins)
for f in tests/*.rs; do
  name=$(basename "$f" .rs)
  [[ $PARAHPC_MPI != openmpi && ($name == two_nodes || $name == slurm) ]] || targets+=(--test "$name")
done
# One test at a time: the MPI tests oversubscribe this machine's cores on their own.
cargo test --release --locked --no-fail-fast "${targets[@]}" -- --test-threads=1 2>&1 | tee -a "$results"

if [[ $PARAHPC_MPI != openmpi ]]; then
  # The two-node emulation launches through Open MPI's remote-shell agent, and the test SLURM
  # starts steps through Open MPI's PMIx support.
  echo "note: PARAHPC_MPI=$PARAHPC_MPI: the two-node and SLURM tests run with Open MPI only" >&2
  exit 0
fi
if [[ ${PARAHPC_SKIP_CLUSTER:-0} == 1 ]]; then
  echo "!!! PARAHPC_SKIP_CLUSTER=1: the two-node and SLURM tests were SKIPPED; jobs/*.sbatch were not submitted !!!" >&2
  exit 0
fi
trap 'scripts/slurm-down.sh; scripts/two-nodes.sh down; not_run' EXIT
scripts/two-nodes.sh up
cargo test --release --locked --test two_nodes -- --ignored --test-threads=1 2>&1 | tee -a "$results"
# Jobs across the two nodes need the same Open MPI settings as mpirun across them.
eval "$(scripts/two-nodes.sh env)"
eval "$(scripts/slurm-up.sh --two-nodes)"
cargo test --release --locked --test slurm -- --ignored --test-threads=1 2>&1 | tee -a "$results"
