#!/usr/bin/env bash
# keel against the system's OpenSSL libssl: compiles bench/*.c twice (keel's headers + BUILD/libssl.so.3,
# then the system headers + -lssl; both on the system libcrypto), runs every figure in interleaved
# rounds, and writes BUILD/bench/report.md and report.png. `make bench` calls this after building keel.
#   bash bench/run.sh [BUILD]     env: BENCH_SECONDS (per figure per library, default 3),
#                                      BENCH_ROUNDS (default 3), BENCH_FIGURES (space-separated subset),
#                                      BENCH_BUILD_ONLY=1 (compile and make certificates, measure nothing)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
out=$build/bench
seconds=${BENCH_SECONDS:-3}
rounds=${BENCH_ROUNDS:-3}
cc=${CC:-gcc}
# Each handshake and bulk figure measures its crypto floor alongside (bench/README.md).
figures=${BENCH_FIGURES:-"hs_ecdsa hs_rsa hs_ed25519 hs_ecdsa_defaults hs_resume hs12_ecdsa hs12_resume hs12_resume_id
  bulk_aes128gcm bulk_aes256gcm bulk_chacha20 threads memory early"}
unset LD_LIBRARY_PATH LD_PRELOAD

[ -f "$build/libssl.so.3" ] || { echo "bench: $build/libssl.so.3 missing (make build first)" >&2; exit 1; }
mkdir -p "$out/certs" "$out/lib"
# A private copy of keel's library: the measured build stays fixed while the tree keeps changing.
cp "$build/libssl.so.3" "$out/lib/libssl.so.3.tmp" && mv "$out/lib/libssl.so.3.tmp" "$out/lib/libssl.so.3"
cflags=(-std=c11 -O2 -g -D_GNU_SOURCE -Wall -Wextra -Wshadow -pthread)
srcs=("$root"/bench/*.c)
"$cc" "${cflags[@]}" -o "$out/bench-openssl" "${srcs[@]}" -lssl -lcrypto
"$cc" "${cflags[@]}" -I"$root/include" -o "$out/bench-keel" "${srcs[@]}" \
  "$out/lib/libssl.so.3" -Wl,-rpath,"$out/lib" -lcrypto

# Refuse to compare a library with itself.
keel_lib=$(readlink -f "$("$out/bench-keel" lib)")
ossl_lib=$(readlink -f "$("$out/bench-openssl" lib)")
[ "$keel_lib" = "$(readlink -f "$out/lib/libssl.so.3")" ] || { echo "bench: keel binary runs on $keel_lib" >&2; exit 1; }
[ "$ossl_lib" != "$keel_lib" ] || { echo "bench: OpenSSL binary runs on keel" >&2; exit 1; }

"$out/bench-openssl" gen "$out/certs"
: > "$out/stderr.txt"
[ "${BENCH_BUILD_ONLY:-0}" = 1 ] && exit 0
cut -d' ' -f1-3 /proc/loadavg > "$out/load.txt" 2>/dev/null || echo "?" > "$out/load.txt"
per=$(awk -v s="$seconds" -v r="$rounds" 'BEGIN { printf "%.3f", s / r }')
results=$out/results.txt
: > "$results"
nfig=$(wc -w <<< "$figures")
echo "bench: $nfig figures x 2 libraries x $rounds rounds of ${per}s (keel: $keel_lib, OpenSSL: $ossl_lib)" >&2

# Interleave: every round runs each figure on both libraries back to back, alternating which goes
# first, so slow drifts in machine load fall on both alike.
for ((r = 1; r <= rounds; r++)); do
  i=0
  for fig in $figures; do
    i=$((i + 1))
    if (( (r + i) % 2 )); then order="openssl keel"; else order="keel openssl"; fi
    for lib in $order; do
      if ! lines=$("$out/bench-$lib" "$fig" "$per" "$out/certs" 2>>"$out/stderr.txt"); then
        echo "bench: $lib $fig failed (see $out/stderr.txt)" >&2
        exit 1
      fi
      while read -r name value; do echo "$lib $name $r $value"; done <<< "$lines" >> "$results"
    done
    printf '.' >&2
  done
  echo " round $r/$rounds" >&2
done

bash "$root/bench/report.sh" "$out" "$seconds" "$rounds" "$keel_lib" "$ossl_lib"
echo "bench: wrote $out/report.md and $out/report.png" >&2
