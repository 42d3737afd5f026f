#!/usr/bin/env bash
# The main job: install what is missing, build the release binary, and measure this machine's
# strong scaling with one rank per physical core. Results land in the current directory.
# Extra arguments go to 'parahpc amdahl', e.g.  scripts/run.sh --kernel stream
# PARAHPC_MPI=mpich builds and runs with MPICH instead of Open MPI.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/setup.sh"
source "$repo/scripts/mpi-env.sh"
cargo build --release --locked --manifest-path "$repo/Cargo.toml"
binary=${CARGO_TARGET_DIR:-$repo/target}/release/parahpc

# One rank per physical core; never more than this process may use.
cores=$(lscpu -p=CORE,SOCKET 2>/dev/null | grep -v '^#' | sort -u | wc -l)
available=$(nproc)
((cores >= 1 && cores <= available)) || cores=$available
echo "+ $PARAHPC_MPIRUN -n $cores $binary amdahl $*" >&2
exec "$PARAHPC_MPIRUN" -n "$cores" "$binary" amdahl "$@"
