#!/usr/bin/env bash
# keel's libFuzzer harnesses (fuzz/README.md).
#   fuzz/run.sh build              configure and build build-fuzz/ with clang
#   fuzz/run.sh smoke [harness..]  each harness from its seed corpus for FUZZ_SECONDS (default 30);
#                                  fails on any crash, leak, timeout or sanitizer report (make fuzz-smoke)
#   fuzz/run.sh long [harness..]   long campaigns, FUZZ_SECONDS each (default 3600); the corpus grows
#                                  in build-fuzz/corpus/<harness>, findings land in
#                                  build-fuzz/findings/ (make fuzz)
#   fuzz/run.sh record             rewrite fuzz/corpus/ from keel<->keel transcripts (fuzz/recorder.c)
#   fuzz/run.sh repro FILE..       run inputs once through the harness named by their directory
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${FUZZ_BUILD:-$root/build-fuzz}
harnesses=(server client record messages sessions)

build() {
  cmake -S "$here" -B "$out" -DCMAKE_C_COMPILER="${FUZZ_CC:-clang}" >/dev/null
  cmake --build "$out" -j "${FUZZ_JOBS:-$(nproc)}" >/dev/null
}

# A sanitizer report of any kind is a failure; leaks are checked after every input.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

run() { # mode harness seconds
  local mode=$1 h=$2 secs=$3 work
  if [ "$mode" = smoke ]; then
    work=$(mktemp -d "${TMPDIR:-/tmp}/keel-fuzz-$h.XXXXXX")
  else
    work=$out/corpus/$h
    mkdir -p "$work"
  fi
  mkdir -p "$out/findings"
  echo "fuzz: $h for ${secs}s ($mode)"
  local rc=0
  "$out/fuzz_$h" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2560 -max_len=20480 \
    -print_final_stats=1 -artifact_prefix="$out/findings/$h-" \
    "$work" "$here/corpus/$h" >"$out/fuzz-$h.log" 2>&1 || rc=$?
  grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::number_of_executed_units|stat::peak_rss_mb)' "$out/fuzz-$h.log" || true
  [ "$mode" = smoke ] && rm -rf "$work"
  if [ $rc -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$out/fuzz-$h.log"; then
    echo "fuzz: $h FAILED (exit $rc); log: $out/fuzz-$h.log; reproducer: $(ls -t "$out"/findings/"$h"-* 2>/dev/null | head -1)" >&2
    tail -40 "$out/fuzz-$h.log" >&2
    return 1
  fi
}

cmd=${1:-smoke}
shift || true
case $cmd in
  build) build ;;
  smoke|long)
    build
    secs=${FUZZ_SECONDS:-}
    [ -n "$secs" ] || { [ "$cmd" = smoke ] && secs=30 || secs=3600; }
    [ $# -gt 0 ] && harnesses=("$@")
    failed=0
    for h in "${harnesses[@]}"; do run "$cmd" "$h" "$secs" || failed=1; done
    exit $failed ;;
  record)
    build
    rm -rf "$here/corpus.new"
    "$out/keel_fuzz_recorder" "$here/corpus.new"
    rm -rf "$here/corpus"
    mv "$here/corpus.new" "$here/corpus"
    du -sh "$here/corpus" ;;
  repro)
    build
    for f in "$@"; do
      h=$(basename "$(dirname "$f")")
      case " ${harnesses[*]} " in *" $h "*) ;; *) h=${FUZZ_HARNESS:?set FUZZ_HARNESS for $f}; esac
      "$out/fuzz_$h" -runs=1 "$f"
    done ;;
  *) echo "usage: $0 build|smoke|long|record|repro" >&2; exit 2 ;;
esac
