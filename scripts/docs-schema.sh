#!/usr/bin/env bash
# Regenerates docs/results-schema.md below its introduction (everything up to the first line
# '---') from `parahpc schema`, the declaration every write is checked against. A unit test
# fails when the two differ.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
doc=$repo/docs/results-schema.md
cargo build --release --locked --manifest-path "$repo/Cargo.toml"
intro=$(sed '/^---$/q' "$doc")
{ printf '%s\n\n' "$intro"; "$repo/target/release/parahpc" schema; } >"$doc.tmp"
mv "$doc.tmp" "$doc"
echo "docs-schema: regenerated $doc" >&2
