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
# SARIF files against the code-scanning rules of tests/unit/test_sarif_rules
# (--files: every location is also an existing file and line under the
# source root); and against the SARIF 2.1.0 JSON schema too when
# FM_SARIF_SCHEMA names a local copy of it and python3 has jsonschema
# (nothing is downloaded, no schema is kept in the repository).
assert_sarif() { # [--files] FILE...
    if "$FM_BUILD/tests/test_sarif_rules" "$@" >"$T/sarif.log" 2>&1; then t_ok; else
        t_bad "SARIF checks: $(cat "$T/sarif.log")"
    fi
    [ -n "${FM_SARIF_SCHEMA:-}" ] || return 0
    for f; do
        [ "$f" = --files ] && continue
        if python3 - "$FM_SARIF_SCHEMA" "$f" >"$T/schema.log" 2>&1 <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
v = cls(schema, format_checker=cls.FORMAT_CHECKER)
errors = list(v.iter_errors(json.load(open(sys.argv[2]))))
for e in errors[:5]:
    print("/".join(map(str, e.absolute_path)), e.message[:200])
sys.exit(1 if errors else 0)
PY
        then t_ok; else t_bad "$f against $FM_SARIF_SCHEMA: $(cat "$T/schema.log")"; fi
    done
}
t_done() { # what-was-checked
    if [ "$t_fail" -eq 0 ]; then echo "PASS $t_name: $t_checks checks ($1)"; exit 0; fi
    echo "FAIL $t_name: $t_fail of $t_checks checks failed ($1)"; exit 1
}
