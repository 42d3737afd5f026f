#!/usr/bin/env bash
# Installs what is missing, checks formatting and lints, builds, and runs every test: unit tests
# of the pure kernels and fits, integration tests that run the release binary under mpirun with
# 1 to 4 ranks, and the job scripts submitted to a real single-node SLURM that this script brings
# up and stops again.
# PARAHPC_SKIP_SLURM=1 skips the SLURM part (it needs root), and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
source scripts/mpi-env.sh
# Habits, not suggestions: unformatted code or any clippy warning fails the run.
cargo fmt --check
cargo clippy --release --locked --all-targets -- -D warnings
cargo build --release --locked
# One test at a time: the MPI tests oversubscribe this machine's cores on their own.
cargo test --release --locked -- --test-threads=1

if [[ ${PARAHPC_SKIP_SLURM:-0} == 1 ]]; then
  echo "!!! PARAHPC_SKIP_SLURM=1: the SLURM tests were SKIPPED; jobs/*.sbatch were not submitted !!!" >&2
  exit 0
fi
trap scripts/slurm-down.sh EXIT
eval "$(scripts/slurm-up.sh)"
cargo test --release --locked --test slurm -- --ignored --test-threads=1
