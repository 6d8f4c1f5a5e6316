#!/usr/bin/env bash
# Instruction profile of the handshake loop (callgrind), for keel and for OpenSSL's libssl, so the
# report can say where keel's instructions go and how many a handshake costs each library.
#   bash bench/profile.sh [BUILD]   env: PROFILE_FIGURE (hs_ecdsa, hs_rsa, hs_ed25519, hs_resume, hs12_ecdsa,
#                                        hs12_resume or hs12_resume_id;
#                                        default hs_ecdsa), PROFILE_SECONDS (CPU seconds under
#                                        valgrind, default 10), PROFILE_LIBS (default "keel openssl")
# Writes BUILD/bench/profile-{keel,openssl}-FIGURE.{out,self.txt,incl.txt} and prints instructions
# per handshake and keel's top functions. Only bench_one_handshake / bench_one_resumption (one pair:
# SSL_new, handshake, SSL_free) is collected: setup, certificates and the crypto floor are left out.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
out=$build/bench
figure=${PROFILE_FIGURE:-hs_ecdsa}
seconds=${PROFILE_SECONDS:-10}
libs=${PROFILE_LIBS:-"keel openssl"}
command -v valgrind >/dev/null || { echo "profile: valgrind missing (apt-get install valgrind)" >&2; exit 1; }
case $figure in
  hs_resume|hs12_resume|hs12_resume_id) fn=bench_one_resumption ;;
  hs_*|hs12_*) fn=bench_one_handshake ;;
  *) echo "profile: PROFILE_FIGURE must be a handshake figure" >&2; exit 2 ;;
esac
BENCH_BUILD_ONLY=1 bash "$root/bench/run.sh" "$build"
for lib in $libs; do
  base=$out/profile-$lib-$figure
  BENCH_NO_FLOOR=1 valgrind --tool=callgrind --toggle-collect="$fn" --callgrind-out-file="$base.out" \
    "$out/bench-$lib" "$figure" "$seconds" "$out/certs" 2> "$base.log" >/dev/null
  n=$(sed -n 's/.*: \([0-9]*\) handshakes timed.*/\1/p' "$base.log")
  n=$((n + 10)) # the 10 warm-up calls go through the same function
  callgrind_annotate --auto=no --inclusive=no "$base.out" > "$base.self.txt" 2>/dev/null
  callgrind_annotate --auto=no --inclusive=yes "$base.out" > "$base.incl.txt" 2>/dev/null
  total=$(awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }' "$base.self.txt")
  awk -v t="$total" -v n="$n" -v lib="$lib" \
    'BEGIN { printf "%s %s: %d handshakes, %.2f M instructions per handshake\n", lib, "'"$figure"'", n, t / n / 1e6 }'
done
# Summaries: instructions by shared object (self cost), then the top named functions by inclusive
# cost (libssl and libcrypto entry points; libcrypto's static internals have no symbols on Debian).
for lib in $libs; do
  base=$out/profile-$lib-$figure
  {
    echo "== $lib $figure: self cost by object"
    perl -ne 'next unless /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*?)\s*$/; my ($v, $f) = ($1, $2);
      next if $f =~ /PROGRAM TOTALS/; $v =~ s/,//g;
      my $o = $f =~ /\[([^\]]*)\]$/ ? $1 : ($f =~ m{^\./} ? "libc.so.6" : "?"); $o =~ s{.*/}{};
      $s{$o} += $v; $t += $v;
      END { printf "  %6.2f%%  %s\n", $s{$_} / $t * 100, $_ for sort { $s{$b} <=> $s{$a} } keys %s }' "$base.self.txt" | head -6
    echo "== $lib $figure: top functions by inclusive cost (% of the handshake loop's instructions)"
    perl -ne 'next unless /^\s*[\d,]+ \(\s*([\d.]+)%\)\s+(.*?)\s*$/; my ($p, $f) = ($1, $2);
      my $o = $f =~ s/\s*\[([^\]]*)\]$// ? $1 : ""; $o =~ s{.*/}{}; $f =~ s/^\?\?\?://;
      next if $f =~ /PROGRAM TOTALS|^0x|libc_start|below main|^\S*bench\/|SSL_do_handshake|keel_handshake/
        || $o =~ /^bench-/;
      printf "  %6.2f%%  %-40s %s\n", $p, $f, $o' "$base.incl.txt" | head -50
  } | tee "$base.summary.txt"
done
