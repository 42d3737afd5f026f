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
# One test at a time: the MPI tests oversubscribe this machine's cores on their own.
cargo test --release --locked --no-fail-fast -- --test-threads=1

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
trap 'scripts/slurm-down.sh; scripts/two-nodes.sh down' EXIT
scripts/two-nodes.sh up
cargo test --release --locked --test two_nodes -- --ignored --test-threads=1
# Jobs across the two nodes need the same Open MPI settings as mpirun across them.
eval "$(scripts/two-nodes.sh env)"
eval "$(scripts/slurm-up.sh --two-nodes)"
cargo test --release --locked --test slurm -- --ignored --test-threads=1
