#!/usr/bin/env bash
# Regenerates the pictures the README and docs/ show, from real runs on this machine, so they
# never go stale: builds, runs the experiments small, and copies the report's figures into
# docs/img/. Takes about three minutes on 2 cores.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/setup.sh"
cargo build --release --locked --manifest-path "$repo/Cargo.toml"
source "$repo/scripts/mpi-env.sh"
bin=$repo/target/release/parahpc
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# The slide: 9 workers, 10 % serial. The sleep kernel shares nothing, so it reproduces Amdahl's
# law exactly even with more ranks than this machine has cores.
mpirun --oversubscribe -n 9 "$bin" amdahl --kernel sleep --serial-fraction 0.1 --work 3 -q -o amdahl.h5
"$bin" report amdahl.h5 -o report

# The machine card: the whole suite on 2 ranks, within two minutes.
mpirun -n 2 "$bin" suite --budget 2m --threads 1 -q -o suite.h5 >/dev/null
"$bin" report suite.h5 -o card

mkdir -p "$repo/docs/img"
cp report/amdahl.png "$repo/docs/img/amdahl.png"
cp card/card.png "$repo/docs/img/card.png"
echo "docs-figures: wrote docs/img/amdahl.png and docs/img/card.png" >&2
