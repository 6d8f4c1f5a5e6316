#!/usr/bin/env bash
# Turns OUT/results.txt ("library figure round value" lines from bench/run.sh) into OUT/report.md
# (medians over rounds, keel/OpenSSL ratios, the issue's targets) and OUT/report.png (gnuplot).
#   bash bench/report.sh OUT SECONDS ROUNDS KEEL_LIB OPENSSL_LIB
set -euo pipefail
out=$1 seconds=$2 rounds=$3 keel_lib=$4 ossl_lib=$5
load_start=$(cat "$out/load.txt" 2>/dev/null || echo "?")
load_end=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
clock=${BENCH_CLOCK:-cpu}
root=$(cd "$(dirname "$0")/.." && pwd)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$root" diff --quiet HEAD 2>/dev/null || commit="$commit+local changes"
osslver=$(openssl version 2>/dev/null || echo "OpenSSL (version unknown)")
rm -f "$out/report.md" "$out/report.png" "$out/ratio.dat" "$out/floor.dat"

awk -v secs="$seconds" -v rounds="$rounds" -v cpu="${cpu:-unknown} ($(nproc) CPUs)" -v commit="$commit" \
    -v date="$(date -u '+%Y-%m-%d %H:%M UTC')" -v osslver="$osslver" -v klib="$keel_lib" -v olib="$ossl_lib" \
    -v load="$load_start at the start, $load_end at the end" -v clock="$clock" -v md="$out/report.md" -v ratio="$out/ratio.dat" -v floor="$out/floor.dat" '
function sortv(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
function med(lib, name,   a, n) {
    if (!((lib, name) in vals)) return -1
    n = split(vals[lib, name], a, " "); sortv(a, n)
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
# Half the min-max range over rounds, as % of the median, the worse of the two libraries.
function spread(name,   l, a, n, m, s, best) {
    best = 0
    for (l = 0; l < 2; l++) {
        if (!((libs[l], name) in vals)) continue
        n = split(vals[libs[l], name], a, " "); sortv(a, n); m = med(libs[l], name)
        if (n > 1 && m > 0) { s = (a[n] - a[1]) / 2 / m * 100; if (s > best) best = s }
    }
    return rounds > 1 ? sprintf("±%.0f%%", best) : ""
}
function fmt(v, f) { return v < 0 ? "n/a" : sprintf(f, v) }
function row(label, name, f,   o, k) {
    o = med("openssl", name); k = med("keel", name)
    printf "| %s | %s | %s | %s | %s | %s |\n", label, fmt(o, f), fmt(k, f), (o > 0 && k >= 0) ? sprintf("%.2f×", k / o) : "n/a", spread(name), tcols(name) > md
}
# The targets of issue #15 by figure name (BEGIN): "ratio GOAL [FLOOR]" keel/OpenSSL, floor-normalised when the
# figure has a floor; "pct GOAL" keel % of its floor (the pct: rows); "max GOAL" / "min GOAL" keel value.
# tcols: the "target | met" cells of a row; empty cells for figures without a target.
function tcheck(name,   t, k, o, po, pk, v) {
    if (!(name in T)) return -1
    split(T[name], t, " ")
    if (t[1] == "ratio") {
        o = med("openssl", name); k = med("keel", name)
        if (t[3] != "") { po = pct(name, t[3], "openssl"); pk = pct(name, t[3], "keel"); if (po > 0 && pk >= 0) return pk / po >= t[2] }
        return (o > 0 && k >= 0) ? k / o >= t[2] : -1
    }
    if (t[1] == "pct") { split(name, v, ":"); pk = pct(v[2], v[3], "keel"); return pk < 0 ? -1 : pk >= t[2] }
    k = med("keel", name)
    if (k < 0) return -1
    return t[1] == "max" ? k <= t[2] : k >= t[2]
}
function tcols(name,   c) {
    if (!(name in T)) return " | "
    c = tcheck(name)
    return TL[name] " | " (c < 0 ? "n/a" : c ? "met" : "**missed**")
}
# % of floor: per round (the figure and its floor were measured in the same process, in alternating
# slices), then the median over rounds; pctspread like spread, over the per-round percentages.
function pctlist(name, floorname, lib,   r, l) {
    l = ""
    for (r = 1; r <= maxround; r++)
        if ((lib, name, r) in rv && (lib, floorname, r) in rv && rv[lib, floorname, r] > 0)
            l = l (l == "" ? "" : " ") rv[lib, name, r] / rv[lib, floorname, r] * 100
    return l
}
function pct(name, floorname, lib,   a, n, l) {
    l = pctlist(name, floorname, lib); if (l == "") return -1
    n = split(l, a, " "); sortv(a, n)
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function pctspread(name, floorname,   i, a, n, m, s, best) {
    best = 0
    for (i = 0; i < 2; i++) {
        n = split(pctlist(name, floorname, libs[i]), a, " "); if (n < 2) continue
        sortv(a, n); m = pct(name, floorname, libs[i])
        if (m > 0) { s = (a[n] - a[1]) / 2 / m * 100; if (s > best) best = s }
    }
    return rounds > 1 ? sprintf("±%.0f%%", best) : ""
}
function pctrow(label, name, floorname,   o, k) {
    o = pct(name, floorname, "openssl"); k = pct(name, floorname, "keel")
    printf "| %s | %s | %s | %s | %s | %s |\n", label, fmt(o, "%.0f%%"), fmt(k, "%.0f%%"), (o > 0 && k >= 0) ? sprintf("%.2f×", k / o) : "n/a", pctspread(name, floorname), tcols("pct:" name ":" floorname) > md
}
function target(text, value, ok) { printf "| %s | %s | %s |\n", text, value, ok < 0 ? "n/a" : ok ? "met" : "**missed**" > md }
# The floor-normalised ratio decides (it divides out machine-speed drift between the two processes);
# the raw ratio is shown beside it.
function ratio_target(text, name, floorname, goal,   o, k, po, pk, v) {
    o = med("openssl", name); k = med("keel", name); po = pct(name, floorname, "openssl"); pk = pct(name, floorname, "keel")
    if (po > 0 && pk >= 0) { v = sprintf("%.2f× (raw %s)", pk / po, (o > 0 && k >= 0) ? sprintf("%.2f×", k / o) : "n/a"); target(text, v, pk / po >= goal) }
    else if (o > 0 && k >= 0) target(text, sprintf("%.2f× (raw)", k / o), k / o >= goal)
    else target(text, "n/a", -1)
}
# ratio.dat: label, raw keel/OpenSSL (higher = keel better), floor-normalised or "?".
function plot(label, v, n,   ns) { ns = (n > 0) ? sprintf("%.4f", n) : "?"; if (v > 0) printf("\"%s\" %.4f %s\n", label, v, ns) > ratio }
function settarget(name, spec, label) { T[name] = spec; TL[name] = label }
BEGIN {
    libs[0] = "openssl"; libs[1] = "keel"
    # Issue #15 ("Targets"): ratios against the system libssl measured in the same run.
    settarget("hs_ecdsa", "ratio 2.0 floor_hs_ecdsa", "≥ 2.0×")
    settarget("pct:hs_ecdsa:floor_hs_ecdsa", "pct 90", "≥ 90%")
    settarget("hs_resume", "ratio 2.5 floor_hs_resume", "≥ 2.5×")
    settarget("hs12_ecdsa", "ratio 2.0 floor_hs12_ecdsa", "≥ 2.0×")
    settarget("hs12_resume", "ratio 3.0 floor_hs12_resume", "≥ 3.0×")
    settarget("hs12_resume_id", "ratio 3.0 floor_hs12_resume_id", "≥ 3.0×")
    settarget("pct:bulk_aes128gcm:floor_aead_aes128gcm", "pct 95", "≥ 95%")
    settarget("pct:bulk_aes256gcm:floor_aead_aes256gcm", "pct 95", "≥ 95%")
    settarget("pct:bulk_chacha20:floor_aead_chacha20", "pct 95", "≥ 95%")
    settarget("allocs_handshake", "max 400", "≤ 400")
    settarget("heap_pair", "max 8192", "≤ 8192 B")
    # Per-thread rate at N = cores (2 here) ≥ 95% of N = 1, i.e. 2-thread scaling ≥ 1.90×.
    settarget("threads_scaling", "min 1.90", "≥ 1.90×")
}
{ vals[$1, $2] = (($1, $2) in vals) ? vals[$1, $2] " " $4 : $4; rv[$1, $2, $3] = $4; if ($3 > maxround) maxround = $3 }
END {
    print "# keel vs OpenSSL libssl — benchmark report\n" > md
    printf "%s; keel %s; %s; %s s per figure per library in %d interleaved rounds.\n", date, commit, osslver, secs, rounds > md
    printf "CPU: %s; load average %s. keel: `%s`; OpenSSL: `%s`; both on the system libcrypto.\n\n", cpu, load, klib, olib > md
    print "Values are medians over rounds; *spread* is half the min–max range over rounds (worse library)." > md
    if (clock == "wall") print "Rates are per second of wall-clock time (BENCH_CLOCK=wall)." > md
    else print "Rates are per second of the process'"'"'s own CPU time (the machine may be shared; BENCH_CLOCK=wall for wall time)," > md
    if (clock != "wall") print "except the thread figures, which are wall-clock by nature." > md
    print "Single-threaded over in-memory BIO pairs unless stated. Handshakes: TLS 1.3, X25519, TLS_AES_256_GCM_SHA384," > md
    print "a leaf signed by an ECDSA P-256 CA, the client verifying chain and host name; no tickets and no session" > md
    print "cache on either library, except the *library defaults* row. Resumed: the server issues one stateless ticket" > md
    print "per connection, the client offers the first connection'"'"'s session (psk_dhe_ke, X25519) and closes with" > md
    print "close_notify; SSL_session_reused() == 1 is checked on both sides of every connection. The TLS 1.2 rows: the" > md
    print "same with TLS 1.2 only, ECDHE-ECDSA-AES256-GCM-SHA384, groups X25519:P-256 (X25519 used); resumed by an RFC 5077" > md
    print "ticket (server cache off) or by session ID (server cache on, no tickets, both sides close with close_notify): an" > md
    print "abbreviated handshake with no public-key work, whose floor is its key block, Finished PRFs and records. Floors are the same" > md
    print "public-key / AEAD work done bare through EVP in the same binary (their keel/OpenSSL ratio should be ~1.00:" > md
    print "it shows the run-to-run noise of a shared machine). Each figure is measured in alternating slices with its" > md
    print "floor in one process, so the *% of crypto floor* rows (per round, then median) are robust to load; their keel/OpenSSL column is the" > md
    print "**floor-normalised ratio**: keel vs OpenSSL with machine-speed drift between the two processes divided out." > md
    print "bench/README.md defines every figure.\n" > md
    print "| Figure | OpenSSL | keel | keel/OpenSSL | spread | target | met |" > md
    print "|---|---:|---:|---:|---:|---:|---|" > md
    row("Full handshakes/s, ECDSA P-256", "hs_ecdsa", "%.0f")
    row("Full handshakes/s, RSA-2048", "hs_rsa", "%.0f")
    row("Full handshakes/s, Ed25519", "hs_ed25519", "%.0f")
    row("Full handshakes/s, ECDSA, library defaults (2 tickets each, caches on)", "hs_ecdsa_defaults", "%.0f")
    row("Resumed handshakes/s (ticket, psk_dhe_ke, X25519)", "hs_resume", "%.0f")
    row("TLS 1.2 full handshakes/s, ECDHE-ECDSA P-256 (ECDHE-ECDSA-AES256-GCM-SHA384)", "hs12_ecdsa", "%.0f")
    row("TLS 1.2 resumed handshakes/s (RFC 5077 ticket, abbreviated handshake)", "hs12_resume", "%.0f")
    row("TLS 1.2 resumed handshakes/s (session ID, server cache)", "hs12_resume_id", "%.0f")
    row("Crypto floor, ECDSA (handshakes/s, bare EVP)", "floor_hs_ecdsa", "%.0f")
    row("Crypto floor, RSA-2048", "floor_hs_rsa", "%.0f")
    row("Crypto floor, Ed25519", "floor_hs_ed25519", "%.0f")
    row("Crypto floor, resumed (X25519 only)", "floor_hs_resume", "%.0f")
    row("Crypto floor, TLS 1.2 ECDSA (same work as TLS 1.3)", "floor_hs12_ecdsa", "%.0f")
    row("Crypto floor, TLS 1.2 abbreviated (key block, Finished PRFs and records)", "floor_hs12_resume", "%.0f")
    pctrow("Handshake % of crypto floor, ECDSA", "hs_ecdsa", "floor_hs_ecdsa")
    pctrow("Handshake % of crypto floor, RSA-2048", "hs_rsa", "floor_hs_rsa")
    pctrow("Handshake % of crypto floor, Ed25519", "hs_ed25519", "floor_hs_ed25519")
    pctrow("Resumed handshake % of its crypto floor", "hs_resume", "floor_hs_resume")
    pctrow("TLS 1.2 handshake % of crypto floor, ECDSA", "hs12_ecdsa", "floor_hs12_ecdsa")
    pctrow("TLS 1.2 resumed (ticket) % of its floor", "hs12_resume", "floor_hs12_resume")
    pctrow("TLS 1.2 resumed (session ID) % of its floor", "hs12_resume_id", "floor_hs12_resume_id")
    row("Bulk MB/s, TLS_AES_128_GCM_SHA256, 16 KiB writes", "bulk_aes128gcm", "%.0f")
    row("Bulk MB/s, TLS_AES_256_GCM_SHA384", "bulk_aes256gcm", "%.0f")
    row("Bulk MB/s, TLS_CHACHA20_POLY1305_SHA256", "bulk_chacha20", "%.0f")
    row("AEAD floor MB/s, AES-128-GCM (seal+open, bare EVP)", "floor_aead_aes128gcm", "%.0f")
    row("AEAD floor MB/s, AES-256-GCM", "floor_aead_aes256gcm", "%.0f")
    row("AEAD floor MB/s, ChaCha20-Poly1305", "floor_aead_chacha20", "%.0f")
    pctrow("Bulk % of AEAD floor, AES-128-GCM", "bulk_aes128gcm", "floor_aead_aes128gcm")
    pctrow("Bulk % of AEAD floor, AES-256-GCM", "bulk_aes256gcm", "floor_aead_aes256gcm")
    pctrow("Bulk % of AEAD floor, ChaCha20-Poly1305", "bulk_chacha20", "floor_aead_chacha20")
    row("Handshakes/s, 1 thread (ECDSA)", "threads_1", "%.0f")
    row("Handshakes/s, 2 threads sharing the SSL_CTXs", "threads_2", "%.0f")
    row("2-thread scaling (× 1 thread)", "threads_scaling", "%.2f×")
    row("Per-thread rate at 2 threads (% of 1 thread)", "threads_per_thread_pct", "%.0f%%")
    row("Cores obtained during the 2-thread runs (CPU s per wall s)", "threads_cores", "%.2f")
    row("CPU efficiency at 2 threads (handshakes per CPU s, × 1 thread)", "threads_cpu_efficiency", "%.2f×")
    row("Heap bytes per pair after SSL_new (lower is better)", "heap_pair_new", "%.0f")
    row("Heap bytes per established pair (lower is better)", "heap_pair", "%.0f")
    row("Heap bytes per pair after 16 KiB each way", "heap_pair_data", "%.0f")
    row("Heap bytes per established pair, SSL_MODE_RELEASE_BUFFERS", "heap_pair_rb", "%.0f")
    row("Heap bytes per pair after 16 KiB each way, SSL_MODE_RELEASE_BUFFERS", "heap_pair_rb_data", "%.0f")
    row("malloc calls per full handshake, client+server (lower is better)", "allocs_handshake", "%.0f")
    row("0-RTT TTFB ms: resumed request as early data, 10 ms relay delay each way (wall; lower is better)", "ttfb_0rtt_ms", "%.1f")
    row("1-RTT TTFB ms: the same request after the resumed handshake", "ttfb_1rtt_ms", "%.1f")

    print "\n## Targets of issue #15 (reported, not asserted)\n" > md
    print "| Target | keel | |" > md
    print "|---|---:|---|" > md
    ratio_target("TLS 1.3 full handshake (ECDSA P-256) ≥ 2.0× OpenSSL", "hs_ecdsa", "floor_hs_ecdsa", 2.0)
    p = pct("hs_ecdsa", "floor_hs_ecdsa", "keel")
    target("TLS 1.3 full handshake (ECDSA P-256) ≥ 90% of the crypto floor", fmt(p, "%.0f%%"), p < 0 ? -1 : p >= 90)
    ratio_target("TLS 1.3 resumed (ticket, psk_dhe_ke) ≥ 2.5× OpenSSL", "hs_resume", "floor_hs_resume", 2.5)
    ratio_target("TLS 1.2 full (ECDHE-ECDSA) ≥ 2.0× OpenSSL", "hs12_ecdsa", "floor_hs12_ecdsa", 2.0)
    ratio_target("TLS 1.2 resumed by ticket ≥ 3.0× OpenSSL", "hs12_resume", "floor_hs12_resume", 3.0)
    ratio_target("TLS 1.2 resumed by session ID ≥ 3.0× OpenSSL", "hs12_resume_id", "floor_hs12_resume_id", 3.0)
    split("aes128gcm aes256gcm chacha20", su, " ")
    for (i = 1; i <= 3; i++) {
        p = pct("bulk_" su[i], "floor_aead_" su[i], "keel")
        target("Bulk ≥ 95% of the AEAD floor, " su[i], fmt(p, "%.0f%%"), p < 0 ? -1 : p >= 95)
    }
    h = med("keel", "heap_pair"); hr = med("keel", "heap_pair_rb"); a = med("keel", "allocs_handshake")
    target("≤ 400 allocations per full handshake pair", fmt(a, "%.0f"), a < 0 ? -1 : a <= 400)
    target("≤ 8,192 bytes held per established pair (default mode)", fmt(h, "%.0f B"), h < 0 ? -1 : h <= 8192)
    target("≤ 8,192 bytes held per established pair (SSL_MODE_RELEASE_BUFFERS)", fmt(hr, "%.0f B"), hr < 0 ? -1 : hr <= 8192)
    s2 = med("keel", "threads_scaling")
    target("Per-thread rate at N = 2 threads ≥ 95% of N = 1 (scaling ≥ 1.90×; capped by the cores obtained)", fmt(s2, "%.2f×"), s2 < 0 ? -1 : s2 >= 1.90)

    # The chart: keel relative to OpenSSL with higher = keel better, and each library against its floor.
    split("hs_ecdsa hs_rsa hs_ed25519 hs_ecdsa_defaults hs_resume hs12_ecdsa hs12_resume hs12_resume_id bulk_aes128gcm bulk_aes256gcm bulk_chacha20 threads_scaling", up, " ")
    split("floor_hs_ecdsa floor_hs_rsa floor_hs_ed25519 - floor_hs_resume floor_hs12_ecdsa floor_hs12_resume floor_hs12_resume_id floor_aead_aes128gcm floor_aead_aes256gcm floor_aead_chacha20 -", uf, " ")
    split("HS ECDSA|HS RSA|HS Ed25519|HS defaults|HS resumed|HS 1.2 ECDSA|HS 1.2 resumed|HS 1.2 resumed (ID)|Bulk AES-128|Bulk AES-256|Bulk ChaCha|2-thread scaling", ul, "|")
    for (i = 1; i <= 12; i++) {
        o = med("openssl", up[i]); k = med("keel", up[i]); po = pct(up[i], uf[i], "openssl"); pk = pct(up[i], uf[i], "keel")
        if (o > 0 && k > 0) plot(ul[i], k / o, (po > 0 && pk > 0) ? pk / po : -1)
    }
    split("heap_pair heap_pair_rb allocs_handshake", dn, " "); split("Heap/pair|Heap/pair (release bufs)|Allocs/HS", dl, "|")
    for (i = 1; i <= 3; i++) { o = med("openssl", dn[i]); k = med("keel", dn[i]); if (o > 0 && k > 0) plot(dl[i], o / k, -1) }
    split("hs_ecdsa hs_rsa hs_ed25519 hs_resume hs12_ecdsa hs12_resume hs12_resume_id bulk_aes128gcm bulk_aes256gcm bulk_chacha20", fp, " ")
    split("floor_hs_ecdsa floor_hs_rsa floor_hs_ed25519 floor_hs_resume floor_hs12_ecdsa floor_hs12_resume floor_hs12_resume_id floor_aead_aes128gcm floor_aead_aes256gcm floor_aead_chacha20", ff, " ")
    split("HS ECDSA|HS RSA|HS Ed25519|HS resumed|HS 1.2 ECDSA|HS 1.2 resumed|HS 1.2 resumed (ID)|Bulk AES-128|Bulk AES-256|Bulk ChaCha", fl, "|")
    for (i = 1; i <= 10; i++) {
        o = pct(fp[i], ff[i], "openssl"); k = pct(fp[i], ff[i], "keel")
        if (o > 0 && k > 0) printf "\"%s\" %.1f %.1f\n", fl[i], o, k > floor
    }
}' "$out/results.txt"
: >> "$out/ratio.dat"
: >> "$out/floor.dat"

if ! command -v gnuplot >/dev/null; then
  echo "bench: gnuplot missing, no report.png (apt-get install gnuplot-nox)" >&2
  exit 0
fi
if [ ! -s "$out/ratio.dat" ] || [ ! -s "$out/floor.dat" ]; then
  echo "bench: too few figures for report.png" >&2
  exit 0
fi
gnuplot <<EOF
set terminal pngcairo size 1700,650 font "sans,10"
set output "$out/report.png"
set multiplot layout 1,2 title "keel vs OpenSSL 3.0 libssl — same libcrypto, same run ($commit)"
set style data histograms
set style fill solid 0.85 border -1
set xtics rotate by 30 right nomirror
set offsets 0, 0, graph 0.1, 0
set grid ytics
set key top right
set title "keel relative to OpenSSL (× OpenSSL; > 1 means keel is better)"
set yrange [0:*]
set datafile missing "?"
set style histogram clustered gap 1
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2 lc rgb "#444444"
plot "$out/ratio.dat" using 2:xtic(1) title "raw" lc rgb "#2a7f62", \
     "" using 3 title "floor-normalised" lc rgb "#7fc4a9", \
     "" using (\$0-0.17):2:(sprintf("%.2f", \$2)) with labels font ",8" offset 0,0.7 notitle, \
     "" using (\$0+0.17):3:(sprintf("%.2f", \$3)) with labels font ",8" offset 0,0.7 notitle
unset arrow 1
set arrow 2 from graph 0, first 100 to graph 1, first 100 nohead dt 2 lw 2 lc rgb "#444444"
set title "Each library as % of the crypto floor (bare EVP, same operations)"
plot "$out/floor.dat" using 2:xtic(1) title "OpenSSL" lc rgb "#8a8a8a", \
     "" using 3 title "keel" lc rgb "#2a7f62", \
     "" using (\$0-0.17):2:(sprintf("%.0f", \$2)) with labels font ",8" offset 0,0.7 notitle, \
     "" using (\$0+0.17):3:(sprintf("%.0f", \$3)) with labels font ",8" offset 0,0.7 notitle
unset multiplot
EOF
