#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit tests of the pure kernels and fits,
# and integration tests that run the release binary under mpirun with 1 to 4 ranks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
source scripts/mpi-env.sh
cargo build --release --locked
# One test at a time: the MPI tests oversubscribe this machine's cores on their own.
cargo test --release --locked -- --test-threads=1
