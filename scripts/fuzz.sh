#!/usr/bin/env bash
# Fuzzes the commit log's frame decoder (fuzz/fuzz_targets/frame_decoder.rs):
# arbitrary bytes go to driftdb_storage::decode_frame, which must never panic,
# and every frame it accepts must re-encode byte for byte.
#
# Usage: scripts/fuzz.sh [SECONDS]        (default 60)
#
# Longer runs: pass more seconds, e.g. `scripts/fuzz.sh 3600` for an hour, or
# run libFuzzer directly for as long as you like (Ctrl-C stops it), in parallel
# on N cores with -jobs/-workers:
#   cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run frame_decoder corpus/frame_decoder seeds/frame_decoder
#   cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run frame_decoder corpus/frame_decoder seeds/frame_decoder -- -jobs=2 -workers=2
# The growing corpus stays in fuzz/corpus/frame_decoder (not committed) and is
# reused by later runs; fuzz/seeds/frame_decoder holds committed valid frames.
# A crash leaves its input in fuzz/artifacts/frame_decoder/; replay it with
#   cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run frame_decoder artifacts/frame_decoder/crash-<hash>
#
# cargo-fuzz needs nightly-only compiler flags; only a stable toolchain exists
# here, so RUSTC_BOOTSTRAP=1 lets stable accept them.
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "usage: $0 [SECONDS]  (a positive whole number; default 60)" >&2
    exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1
mkdir -p corpus/frame_decoder
echo "== fuzzing frame_decoder for ${seconds}s"
# -max_total_time bounds the run; the corpus dir comes first so new inputs are
# saved there, the committed seeds are read as extra starting points.
cargo fuzz run frame_decoder corpus/frame_decoder seeds/frame_decoder -- \
    -max_total_time="$seconds" -print_final_stats=1
