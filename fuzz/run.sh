#!/usr/bin/env bash
# Runs every fuzz target in turn, one process each (the machine has 2 cores).
#   fuzz/run.sh [seconds per target, default 300] [target ...]
# Needs cargo-fuzz (`cargo install cargo-fuzz`); the stable toolchain is enough, with
# RUSTC_BOOTSTRAP=1 for the sanitizer flags. New corpus entries go to fuzz/work/<target>/
# (not committed), crashes to fuzz/artifacts/<target>/, libFuzzer's output to fuzz/logs/.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-300}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(item_parsing expression parameter_validation)
fi
export RUSTC_BOOTSTRAP=1
cargo fuzz build
mkdir -p logs
status=0
for target in "${targets[@]}"; do
  mkdir -p "work/$target"
  echo "== $target: ${seconds}s"
  rm -f fuzz-0.log
  if ! cargo fuzz run "$target" "work/$target" "corpus/$target" -- \
      -jobs=1 -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
      -dict="dict/$target.dict" >"logs/$target.cargo.log" 2>&1; then
    status=1
  fi
  cp fuzz-0.log "logs/$target.log"
  grep -E '^#[0-9]+[[:space:]]+DONE|^stat::|SUMMARY|panicked|Test unit written' "logs/$target.log" || true
done
exit "$status"
