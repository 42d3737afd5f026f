#!/usr/bin/env bash
# The main job: install what is missing, build the release binary, and measure this machine's
# strong scaling with one rank per physical core. Results land in the current directory.
# Extra arguments go to 'parahpc amdahl', e.g.  scripts/run.sh --kernel stream
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/setup.sh"
cargo build --release --locked --manifest-path "$repo/Cargo.toml"
source "$repo/scripts/mpi-env.sh"

# mpirun's default slots are physical cores; never more than this process may use.
cores=$(lscpu -p=CORE,SOCKET 2>/dev/null | grep -v '^#' | sort -u | wc -l)
available=$(nproc)
((cores >= 1 && cores <= available)) || cores=$available
echo "+ mpirun -n $cores $repo/target/release/parahpc amdahl $*" >&2
exec mpirun -n "$cores" "$repo/target/release/parahpc" amdahl "$@"
