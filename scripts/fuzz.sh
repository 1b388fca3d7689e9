#!/usr/bin/env bash
# Fuzzes both cargo-fuzz targets, splitting the time between them:
#   frame_decoder  (fuzz/fuzz_targets/frame_decoder.rs): arbitrary bytes go to
#                  driftdb_storage::decode_frame, which must never panic, and
#                  every frame it accepts must re-encode byte for byte;
#   sql            (fuzz/fuzz_targets/sql.rs): arbitrary UTF-8 text runs through
#                  a SQL session (parse, bind, plan, execute) on a data directory
#                  holding two tables; any result or SQL error is fine, a panic
#                  is a bug.
#
# Usage: scripts/fuzz.sh [SECONDS]        (default 60, the total for both targets)
#
# Longer runs: pass more seconds, e.g. `scripts/fuzz.sh 3600` for an hour, or
# run libFuzzer directly on one target for as long as you like (Ctrl-C stops
# it), in parallel on N cores with -jobs/-workers:
#   cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run sql corpus/sql seeds/sql
#   cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run frame_decoder corpus/frame_decoder seeds/frame_decoder -- -jobs=2 -workers=2
# The growing corpus of each target stays in fuzz/corpus/<target> (not
# committed) and is reused by later runs; fuzz/seeds/<target> holds committed
# starting points (valid frames; varied SQL, malformed SQL included).
# A crash leaves its input in fuzz/artifacts/<target>/; replay it with
#   cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run <target> artifacts/<target>/crash-<hash>
#
# cargo-fuzz needs nightly-only compiler flags; only a stable toolchain exists
# here, so RUSTC_BOOTSTRAP=1 lets stable accept them.
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 2 ]; then
    echo "usage: $0 [SECONDS]  (a whole number, at least 2; default 60)" >&2
    exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1
# The sql target's data directory goes under TMPDIR; libFuzzer exits without
# running destructors, so the script removes it.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

targets=(frame_decoder sql)
share=$((seconds / ${#targets[@]}))
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    echo "== fuzzing $target for ${share}s"
    # -max_total_time bounds the run; the corpus dir comes first so new inputs
    # are saved there, the committed seeds are read as extra starting points.
    # The sql target runs without AddressSanitizer: DriftDB forbids unsafe
    # code, and building the whole engine under ASan costs CI many minutes.
    sanitizer=address
    if [ "$target" = sql ]; then
        sanitizer=none
    fi
    TMPDIR="$scratch" cargo fuzz run --sanitizer "$sanitizer" "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$share" -print_final_stats=1
done
