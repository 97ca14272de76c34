# Helpers for flowmage's shell tests (sourced).  Each assertion counts;
# t_done prints the verdict line and sets the exit status.
set -u
t_name=$(basename "$0" .sh)
t_checks=0 t_fail=0
T=$(mktemp -d "${TMPDIR:-/tmp}/fm-$t_name.XXXXXX")
trap 'rm -rf "$T"' EXIT

t_ok() { t_checks=$((t_checks + 1)); }
t_bad() { t_checks=$((t_checks + 1)); t_fail=$((t_fail + 1)); echo "FAIL $t_name: $*" >&2; }
# assert CONDITION-COMMAND... -- message
assert() {
    msg=""
    for a; do :; done
    if "$@" 2>/dev/null; then t_ok; else t_bad "assertion failed: $*"; fi
}
assert_eq() { # got want what
    if [ "$1" = "$2" ]; then t_ok; else t_bad "$3: got '$1', want '$2'"; fi
}
assert_contains() { # haystack needle what
    case "$1" in *"$2"*) t_ok ;; *) t_bad "$3: '$2' not found in: $1" ;; esac
}
assert_not_contains() {
    case "$1" in *"$2"*) t_bad "$3: unexpected '$2' in: $1" ;; *) t_ok ;; esac
}
# Compare a file with its golden copy; FM_REGEN=1 rewrites the golden file.
assert_golden() { # actual golden what
    if [ "${FM_REGEN:-0}" = 1 ]; then cp "$1" "$2"; t_ok; return; fi
    if diff -u "$2" "$1" >"$T/golden.diff" 2>&1; then t_ok; else
        t_bad "$3 differs from $2 (make regen-golden after review):"
        head -60 "$T/golden.diff" >&2
    fi
}
t_done() { # what-was-checked
    if [ "$t_fail" -eq 0 ]; then echo "PASS $t_name: $t_checks checks ($1)"; exit 0; fi
    echo "FAIL $t_name: $t_fail of $t_checks checks failed ($1)"; exit 1
}
