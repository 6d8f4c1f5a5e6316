#!/usr/bin/env bash
# Proves that keel's public headers say what OpenSSL 3.0's say, by compiling the same probes twice —
# once with keel's include/ first, once against the system OpenSSL headers only — and diffing:
#   1. every object-like macro OpenSSL's headers define is defined by keel's (none missing), and
#      each value is equal (numbers: value, sizeof and signedness; strings: text; aliases: target);
#   2. every function-like macro OpenSSL defines exists in keel's with the same number of
#      parameters, and every macro spelled over SSL_ctrl/SSL_CTX_ctrl/SSL_callback_ctrl/
#      SSL_CTX_callback_ctrl reaches a stub with the same (object, cmd, larg, parg) and result;
#   3. every function in abi/exports.txt is declared, with the same type (compared as C++ typeid
#      of the function pointer, which encodes the full signature).
# Usage: check_constants.sh <source dir>.  Exit 0 = identical, 1 = differences (listed on stdout).
set -u
SRC=${1:?usage: check_constants.sh <keel source dir>}
KEEL_INC="$SRC/include"
SYS_INC=/usr/include
CC=${CC:-cc}
CXX=${CXX:-c++}
HEADERS="ssl tls1 ssl3 sslerr sslerr_legacy dtls1 srtp ssl2"

# Names OpenSSL defines that keel deliberately does not (each needs a reason here).  Empty: the
# EBCDIC variants of the TLS_MD_* labels are the only conditional definitions keel omits, and they
# are the same names, so they need no entry.
ALLOW_MISSING=""

W=$(mktemp -d "${TMPDIR:-/tmp}/keel-hdr.XXXXXX") || exit 1
[ -n "${KEEL_KEEP:-}" ] && echo "work dir: $W" || trap 'rm -rf "$W"' EXIT
fail=0
note() { printf '%s\n' "$*"; }

# ---- the translation unit every probe starts from: all headers keel provides ----
{
    for h in $HEADERS; do printf '#include <openssl/%s.h>\n' "$h"; done
} > "$W/inc.h"

# Macro names a header file defines, by kind (obj|fn), from its text.
names_in() { # $1 = dir, $2 = obj|fn
    for h in $HEADERS; do
        f="$1/openssl/$h.h"
        [ -f "$f" ] || continue
        if [ "$2" = fn ]; then
            sed -nE 's/^[[:space:]]*#[[:space:]]*define[[:space:]]+([A-Za-z_][A-Za-z0-9_]*)\(.*/\1/p' "$f"
        else
            sed -nE 's/^[[:space:]]*#[[:space:]]*define[[:space:]]+([A-Za-z_][A-Za-z0-9_]*)([[:space:]].*)?$/\1/p' "$f"
        fi
    done | sort -u
}

# All macros visible after including the headers ( -dM ), one "#define ..." per line.
"$CC" -std=c11 -E -dM -I"$KEEL_INC" -x c "$W/inc.h" > "$W/keel.dm" 2> "$W/keel.err" || {
    note "FAIL: keel headers do not preprocess:"; cat "$W/keel.err"; exit 1; }
"$CC" -std=c11 -E -dM -x c "$W/inc.h" > "$W/sys.dm" 2> "$W/sys.err" || {
    note "FAIL: system headers do not preprocess:"; cat "$W/sys.err"; exit 1; }
# guard against a test that cannot fail: the keel run must really use keel's headers
grep -q 'keel' "$KEEL_INC/openssl/ssl.h" || { note "FAIL: $KEEL_INC/openssl/ssl.h is not keel's"; exit 1; }

dm_obj() { sed -nE 's/^#define ([A-Za-z_][A-Za-z0-9_]*)( .*)?$/\1/p' "$1" | sort -u; }
dm_fn()  { sed -nE 's/^#define ([A-Za-z_][A-Za-z0-9_]*)\(([^)]*)\).*/\1 \2/p' "$1" |
           awk '{ n = $1; $1 = ""; a = $0; gsub(/ /, "", a); c = (a == "") ? 0 : split(a, x, ","); print n, c }' |
           sort -u; }

dm_obj "$W/keel.dm" > "$W/keel.obj"
dm_obj "$W/sys.dm"  > "$W/sys.obj"
dm_fn  "$W/keel.dm" > "$W/keel.fn"
dm_fn  "$W/sys.dm"  > "$W/sys.fn"

# OpenSSL's names: defined in the system files' text AND active in the system configuration.
names_in "$SYS_INC" obj | comm -12 - "$W/sys.obj" > "$W/want.obj"
names_in "$SYS_INC" fn  > "$W/sysfile.fn"
awk 'NR==FNR { f[$1] = 1; next } ($1 in f)' "$W/sysfile.fn" "$W/sys.fn" > "$W/want.fn"

# ------------------------------------------------------------------ 1. object-like macros
missing=$(comm -23 "$W/want.obj" "$W/keel.obj")
for a in $ALLOW_MISSING; do missing=$(printf '%s\n' "$missing" | grep -vx "$a"); done
if [ -n "$missing" ]; then
    note "FAIL: object-like macros OpenSSL defines but keel does not ($(printf '%s\n' "$missing" | wc -l)):"
    printf '  %s\n' $missing
    fail=1
fi
# Compare the union of names both define that come from either side's files.
{ cat "$W/want.obj"; names_in "$KEEL_INC" obj; } | sort -u | comm -12 - "$W/keel.obj" | comm -12 - "$W/sys.obj" > "$W/cmp.obj"

# Classify by full expansion under the system headers: empty, identifier alias, or value.
{
    cat "$W/inc.h"
    # the name goes through # so that it is not itself expanded
    printf '#define KEEL_NAME(x) #x\n'
    while read -r n; do printf 'KEEL_V KEEL_NAME(%s) KEEL_X %s KEEL_E\n' "$n" "$n"; done < "$W/cmp.obj"
} > "$W/expand.c"
expand() {
    "$CC" -std=c11 -E -P $1 -x c "$W/expand.c" 2>/dev/null |
        sed -nE 's/^KEEL_V "([A-Za-z0-9_]+)" KEEL_X ?(.*) ?KEEL_E$/\1\t\2/p'
}
expand "-I$KEEL_INC" > "$W/keel.exp"
expand ""            > "$W/sys.exp"
for t in keel sys; do
    if [ "$(wc -l < "$W/$t.exp")" -ne "$(wc -l < "$W/cmp.obj")" ]; then
        note "FAIL: expanded $(wc -l < "$W/$t.exp") of $(wc -l < "$W/cmp.obj") macros ($t); the probe is broken"
        exit 1
    fi
done

# aliases and empty macros are compared as text; everything else is evaluated by a program
classify='
    { sub(/ +$/, "", $2) }
    $2 == ""                              { print $1 " <empty>" > alias; next }
    $2 ~ /^[A-Za-z_][A-Za-z0-9_]*$/       { print $1 " -> " $2 > alias; next }
                                          { print $1 > values }'
awk -F'\t' -v alias="$W/alias.sys" -v values="$W/values.list" "$classify" "$W/sys.exp"
awk -F'\t' -v alias="$W/alias.keel" -v values=/dev/null "$classify" "$W/keel.exp"
# a name that is a value for OpenSSL but an alias/empty for keel shows up as an extra alias line
if ! diff -u "$W/alias.sys" "$W/alias.keel" > "$W/alias.diff"; then
    note "FAIL: empty/alias macros differ (- OpenSSL, + keel):"; grep '^[-+][A-Za-z]' "$W/alias.diff"; fail=1
fi

{
    printf '#include <stdio.h>\n#include <stdint.h>\n'
    cat "$W/inc.h"
    cat <<'C'
#define KEEL_IS_STR(n) _Generic((n), char *: 1, const char *: 1, default: 0)
#define P(n) do { \
    if (KEEL_IS_STR(n)) \
        printf("%s str \"%s\" size %zu\n", #n, _Generic((n), char *: (n), const char *: (n), default: ""), sizeof(n)); \
    else \
        printf("%s int %llu size %zu signed %d\n", #n, \
               (unsigned long long)_Generic((n), char *: 0, const char *: 0, default: (n)), sizeof(n), \
               (int)(_Generic((n), char *: 0, const char *: 0, default: ((n) - (n) - 1)) < 0)); \
} while (0)
int main(void)
{
C
    while read -r n; do printf '    P(%s);\n' "$n"; done < "$W/values.list"
    printf '    return 0;\n}\n'
} > "$W/values.c"
run_values() { # $1 = tag, $2 = include flags
    "$CC" -std=c11 -w $2 -o "$W/values.$1" "$W/values.c" 2> "$W/values.$1.err" &&
        "$W/values.$1" > "$W/values.$1.out"
}
if run_values sys "" && run_values keel "-I$KEEL_INC"; then
    if ! diff -u "$W/values.sys.out" "$W/values.keel.out" > "$W/values.diff"; then
        note "FAIL: macro values differ (- OpenSSL, + keel):"; grep '^[-+][A-Za-z]' "$W/values.diff"; fail=1
    fi
    note "checked $(wc -l < "$W/values.list") macro values, $(wc -l < "$W/alias.sys") aliases/empty macros"
else
    note "FAIL: value probe does not build/run:"; cat "$W"/values.*.err | head -40; fail=1
fi

# ------------------------------------------------------------------ 2. function-like macros
awk 'NR==FNR { k[$1] = $2; next } !($1 in k) { print "  missing: " $1 "/" $2; next }
     k[$1] != $2 { print "  arity: " $1 " has " k[$1] " parameters in keel, " $2 " in OpenSSL" }' \
    "$W/keel.fn" "$W/want.fn" > "$W/fn.problems"
for a in $ALLOW_MISSING; do sed -i "/missing: $a\//d" "$W/fn.problems"; done
if [ -s "$W/fn.problems" ]; then
    note "FAIL: function-like macros:"; cat "$W/fn.problems"; fail=1
fi

# Which of them reach a ctrl function, and in which argument each parameter lands (system header).
{
    cat "$W/inc.h"
    while read -r n c; do
        args=""; for ((i = 1; i <= c; i++)); do args="$args${args:+, }KEEL_A$i"; done
        printf 'KEEL_F %s %s KEEL_X %s(%s) KEEL_E\n' "$n" "$c" "$n" "$args"
    done < "$W/want.fn"
} > "$W/fexp.c"
"$CC" -std=c11 -E -P -x c "$W/fexp.c" 2>/dev/null | grep '^KEEL_F ' |
    awk '
    # Split the argument list of the first ctrl call; print name, arity, and per-parameter role.
    {
        name = $2; arity = $3
        line = $0
        if (!match(line, /(SSL_CTX_callback_ctrl|SSL_callback_ctrl|SSL_CTX_ctrl|SSL_ctrl) *\(/)) next
        fn = substr(line, RSTART, RLENGTH); sub(/ *\($/, "", fn)
        rest = substr(line, RSTART + RLENGTH)
        depth = 0; nargs = 0; cur = ""
        for (i = 1; i <= length(rest); i++) {
            ch = substr(rest, i, 1)
            if (ch == "(") depth++
            if (ch == ")") { if (depth == 0) break; depth-- }
            if (ch == "," && depth == 0) { argv[++nargs] = cur; cur = ""; continue }
            cur = cur ch
        }
        argv[++nargs] = cur
        out = name " " arity " " fn
        for (p = 1; p <= arity; p++) {
            role = "none"
            for (a = 1; a <= nargs; a++)
                if (argv[a] ~ ("KEEL_A" p "([^0-9]|$)")) {
                    if (a == 1) role = "obj"
                    else if (a == 3 && fn ~ /callback/) role = "ptr"
                    else if (a == 3) role = "int"
                    else role = "ptr"
                }
            out = out " " role
        }
        print out
    }' > "$W/ctrl.list"

{
    printf '#include <stdio.h>\n#include <stdint.h>\n'
    cat "$W/inc.h"
    cat <<'C'
#define U(p) ((unsigned long)(uintptr_t)(p))
long SSL_ctrl(SSL *s, int cmd, long larg, void *parg)
{ printf("  SSL_ctrl %lx %d %ld %lx\n", U(s), cmd, larg, U(parg)); return 7; }
long SSL_CTX_ctrl(SSL_CTX *c, int cmd, long larg, void *parg)
{ printf("  SSL_CTX_ctrl %lx %d %ld %lx\n", U(c), cmd, larg, U(parg)); return 7; }
long SSL_callback_ctrl(SSL *s, int cmd, void (*fp)(void))
{ printf("  SSL_callback_ctrl %lx %d %lx\n", U(s), cmd, U(fp)); return 7; }
long SSL_CTX_callback_ctrl(SSL_CTX *c, int cmd, void (*fp)(void))
{ printf("  SSL_CTX_callback_ctrl %lx %d %lx\n", U(c), cmd, U(fp)); return 7; }
int main(void)
{
C
    while read -r name arity fn roles; do
        args=""; i=0
        for r in $roles; do
            i=$((i + 1))
            case $r in
                obj)  v="(void *)(uintptr_t)0x5000" ;;
                ptr)  v="(void *)(uintptr_t)(0x1000 + $i)" ;;
                int)  v="(long)(100 + $i)" ;;
                *)    v="0" ;;
            esac
            args="$args${args:+, }$v"
        done
        printf '    printf("%s\\n");\n    printf("  = %%ld\\n", (long)(%s(%s)));\n' "$name" "$name" "$args"
    done < "$W/ctrl.list"
    printf '    return 0;\n}\n'
} > "$W/ctrl.c"
run_ctrl() {
    "$CC" -std=c11 -w $2 -o "$W/ctrl.$1" "$W/ctrl.c" -lcrypto 2> "$W/ctrl.$1.err" &&
        "$W/ctrl.$1" > "$W/ctrl.$1.out"
}
if [ "$(wc -l < "$W/ctrl.list")" -lt 140 ]; then
    note "FAIL: only $(wc -l < "$W/ctrl.list") ctrl macros found in the system header; the probe is broken"; fail=1
elif run_ctrl sys "" && run_ctrl keel "-I$KEEL_INC"; then
    if ! diff -u "$W/ctrl.sys.out" "$W/ctrl.keel.out" > "$W/ctrl.diff"; then
        note "FAIL: ctrl macro expansions differ (- OpenSSL, + keel):"; grep '^[-+ ]' "$W/ctrl.diff" | head -80; fail=1
    fi
    note "checked $(wc -l < "$W/ctrl.list") ctrl macros, $(wc -l < "$W/want.fn") function-like macro names"
else
    note "FAIL: ctrl probe does not build/run:"; cat "$W"/ctrl.*.err | head -40; fail=1
fi

# ------------------------------------------------------------------ 3. function declarations
if command -v "$CXX" > /dev/null 2>&1; then
    {
        printf '#include <cstdio>\n#include <typeinfo>\n'
        cat "$W/inc.h"
        printf 'int main()\n{\n'
        grep -v '^[[:space:]]*$' "$SRC/abi/exports.txt" | while read -r f; do
            printf '    std::printf("%%s %%s\\n", "%s", typeid(&%s).name());\n' "$f" "$f"
        done
        printf '    return 0;\n}\n'
    } > "$W/decl.cc"
    run_decl() {
        "$CXX" -w $2 -o "$W/decl.$1" "$W/decl.cc" 2> "$W/decl.$1.err" && "$W/decl.$1" > "$W/decl.$1.out"
    }
    if run_decl sys "" && run_decl keel "-I$KEEL_INC"; then
        if ! diff -u "$W/decl.sys.out" "$W/decl.keel.out" > "$W/decl.diff"; then
            note "FAIL: function types differ (- OpenSSL, + keel):"; grep '^[-+][A-Za-z]' "$W/decl.diff"; fail=1
        fi
        note "checked $(wc -l < "$W/decl.sys.out") exported function declarations"
    else
        note "FAIL: declaration probe does not build (undeclared or mistyped functions?):"
        grep -E 'error' "$W"/decl.*.err | head -40; fail=1
    fi
else
    note "note: no C++ compiler ($CXX); function signatures not compared"
fi

# ------------------------------------------------------------------ 4. other configurations
# Deprecation switches hide the same names in both headers: compare which of OpenSSL's macro names
# are defined, and which exported functions are declared, under each configuration.
printf '#include <openssl/ssl.h>\nint main(void) { return 0; }\n' > "$W/one.c"
cp "$W/one.c" "$W/one.cc"
{ names_in "$SYS_INC" obj; names_in "$SYS_INC" fn; } | sort -u > "$W/sysnames"
grep -v '^[[:space:]]*$' "$SRC/abi/exports.txt" | sort -u > "$W/exports"
for cfg in "" "-DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED" "-DOPENSSL_API_COMPAT=10100" \
           "-DOPENSSL_API_COMPAT=10100 -DOPENSSL_NO_DEPRECATED"; do
    # keel's header must compile warning-free, as C11 and as C++, in every configuration
    if ! "$CC" -std=c11 -Wall -Wextra -pedantic -Werror $cfg -I"$KEEL_INC" -fsyntax-only "$W/one.c" 2> "$W/cfg.err" ||
       { command -v "$CXX" > /dev/null 2>&1 &&
         ! "$CXX" -Wall -Wextra -pedantic -Werror $cfg -I"$KEEL_INC" -fsyntax-only "$W/one.cc" 2>> "$W/cfg.err"; }; then
        note "FAIL: <openssl/ssl.h> does not compile cleanly with [$cfg]:"; head -20 "$W/cfg.err"; fail=1
        continue
    fi
    for t in keel sys; do
        inc=""; [ $t = keel ] && inc="-I$KEEL_INC"
        "$CC" -std=c11 $cfg $inc -E -dM -x c "$W/inc.h" 2>/dev/null |
            sed -nE 's/^#define ([A-Za-z_][A-Za-z0-9_]*).*/\1/p' | sort -u | comm -12 - "$W/sysnames" > "$W/cfg.$t.names"
        "$CC" -std=c11 $cfg $inc -E -P -x c "$W/inc.h" 2>/dev/null |
            grep -oE '[A-Za-z_][A-Za-z0-9_]*[[:space:]]*\(' | tr -d '( \t' | sort -u | comm -12 - "$W/exports" > "$W/cfg.$t.decls"
    done
    for a in $ALLOW_MISSING; do sed -i "/^$a\$/d" "$W/cfg.sys.names"; done
    if ! diff "$W/cfg.sys.names" "$W/cfg.keel.names" > "$W/cfg.diff"; then
        note "FAIL: with [$cfg] the defined macro names differ (< OpenSSL only, > keel only):"
        grep '^[<>]' "$W/cfg.diff" | head -40; fail=1
    fi
    if ! diff "$W/cfg.sys.decls" "$W/cfg.keel.decls" > "$W/cfg.diff"; then
        note "FAIL: with [$cfg] the declared functions differ (< OpenSSL only, > keel only):"
        grep '^[<>]' "$W/cfg.diff" | head -40; fail=1
    fi
    note "configuration [${cfg:-default}]: $(wc -l < "$W/cfg.sys.names") macro names, $(wc -l < "$W/cfg.sys.decls") functions agree"
done

[ $fail -eq 0 ] && note "PASS: keel headers match OpenSSL 3.0's"
exit $fail
