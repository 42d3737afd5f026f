# Sourced by the bench-*.sh scripts: installs what they need (HPCC, likwid-bench), builds parahpc, sets
# $repo, and leaves the shell in a scratch directory that is removed on exit.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh"
if ! command -v hpcc >/dev/null || ! command -v likwid-bench >/dev/null; then
  [[ $(id -u) == 0 ]] || { echo "$(basename "$0"): install the Debian packages hpcc and likwid" >&2; exit 1; }
  apt-get install -y -qq --no-install-recommends hpcc likwid >/dev/null
fi
cargo build --release --locked --manifest-path "$repo/Cargo.toml"
source "$repo/scripts/mpi-env.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
