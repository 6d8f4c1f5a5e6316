#!/usr/bin/env bash
# Where keel's allocations come from: runs `bench-keel sites` (one connection pair, see bench/sites.c)
# and names each libssl call site with addr2line, summed per function.
#   bash bench/sites.sh [BUILD]    writes BUILD/bench/sites.txt and prints it
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
out=$build/bench
BENCH_BUILD_ONLY=1 bash "$root/bench/run.sh" "$build"
"$out/bench-keel" sites 1 "$out/certs" > "$out/sites.raw"
# addr2line prints two lines per address: the function, then file:line.
awk '{ print "0x" $2 }' "$out/sites.raw" | addr2line -f -e "$out/lib/libssl.so.3" | paste - - > "$out/sites.names"
paste -d' ' "$out/sites.raw" "$out/sites.names" | awk '
{ fn = $5; loc = $6; sub(".*/src/", "src/", loc); sub(" .*", "", loc)
  if ($2 == "0") { fn = "(outside libssl: the bench)"; loc = "" }
  key = fn; calls[key] += $3; live[key] += $4; if (!(key in where)) where[key] = loc; tc += $3; tl += $4 }
END {
  printf "One client+server pair, SSL_new to SSL_free: %d allocation calls; %d bytes held once established.\n", tc, tl
  printf "Charged to the innermost libssl function on the stack (libcrypto allocations to their keel caller).\n\n"
  printf "%-8s %-9s  %s\n", "calls", "held B", "function (first call site)"
  for (k in calls) printf "%-8d %-9d  %s  %s\n", calls[k], live[k], k, where[k] | "sort -n -r"
}' > "$out/sites.txt"
rm -f "$out/sites.raw" "$out/sites.names"
cat "$out/sites.txt"
