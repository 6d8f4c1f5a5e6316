#!/bin/bash
# Differential test: run PROBE on the system libssl and on keel's (LD_LIBRARY_PATH=KEEL_BUILD);
# the outputs must be identical. The probe is built against the system header and libssl.
set -u
probe=$1 build=$(realpath "$2")
sys_lib=$(env -u LD_LIBRARY_PATH "$probe" --which)
keel_lib=$(LD_LIBRARY_PATH=$build "$probe" --which)
case $(realpath "$keel_lib") in "$build"/*) ;; *) echo "FAIL: keel run loaded $keel_lib"; exit 1;; esac
case $(realpath "$sys_lib") in "$build"/*) echo "FAIL: system run loaded $sys_lib"; exit 1;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
env -u LD_LIBRARY_PATH "$probe" >"$tmp/system" || { echo "FAIL: probe failed on the system libssl"; exit 1; }
LD_LIBRARY_PATH=$build "$probe" >"$tmp/keel" || { echo "FAIL: probe failed on keel"; exit 1; }
if ! diff -u --label system --label keel "$tmp/system" "$tmp/keel"; then
    echo "FAIL: keel differs from the system libssl"
    exit 1
fi
echo "PASS: $(wc -l <"$tmp/keel") lines identical"
