#!/bin/sh
# The fixture corpus builds warning-free without the plugin at -O0 and -O2,
# produces every object, libnfs.a and nfs-bin, and nfs-bin's behavioural
# checks pass.  expected.json lists exactly the NFs nfs-bin exports, and
# every class_name literal and keyword it claims is in the file it names.
. "$(dirname "$0")/lib.sh"
root=${FM_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
fx=$root/tests/fixtures
warn="-Wall -Wextra -Werror"

srcs=$(ls "$fx"/clicklike/lib/*.cc "$fx"/clicklike/elements/*.cc "$fx"/nfs/*.cc "$fx"/dpdk/*.c \
          "$fx"/noplugin/*.c)
for opt in -O0 -O2; do
    out=$T/build$opt
    # shellcheck disable=SC2086
    if sh "$fx/build.sh" "$out" $opt $warn >"$T/log" 2>&1; then t_ok; else
        t_bad "build.sh $opt $warn failed:"; cat "$T/log" >&2; continue
    fi
    assert_contains "$(cat "$T/log")" "fixtures: " "build.sh $opt count line"
    assert_eq "$(grep -vc '^fixtures: ' "$T/log")" 0 "build.sh $opt prints only its count line"
    missing=""
    for s in $srcs; do
        o=$(basename "${s%.*}").o
        [ -s "$out/$o" ] || missing="$missing $o"
    done
    assert_eq "$missing" "" "objects missing at $opt"
    members=$(ar t "$out/libnfs.a" 2>/dev/null | sort | tr '\n' ' ')
    want=$(for s in $srcs; do b=$(basename "${s%.*}"); [ "$b" = nfs_main ] || echo "$b.o"; done |
           sort | tr '\n' ' ')
    assert_eq "$members" "$want" "libnfs.a members at $opt"
    if "$out/nfs-bin" >"$T/run" 2>&1; then t_ok; else
        t_bad "nfs-bin ($opt) failed:"; cat "$T/run" >&2
    fi
    assert_contains "$(cat "$T/run")" "all checks passed" "nfs-bin $opt verdict"
done

# expected.json against the binary and the sources.
bin=$T/build-O2/nfs-bin
exp=$fx/expected.json
rows=$(awk '
    function field(line, key,   v) {
        v = line
        if (!sub(".*\"" key "\": \"", "", v)) return ""
        sub(/".*/, "", v); return v
    }
    function kws(line,   v) {
        v = line
        if (!sub(/.*"keywords": \[/, "", v)) return ""
        sub(/\].*/, "", v); gsub(/[",]/, " ", v); return v
    }
    /^  "elements": \[/ { sec = "nf"; next }
    /^  "devices": \[/  { sec = "device"; next }
    /^  \]/             { sec = ""; next }
    sec == "nf" && /^      "name":/     { n = field($0, "name") }
    sec == "nf" && /^      "file":/     { f = field($0, "file") }
    sec == "nf" && /^      "keywords":/ { print "nf|" n "|" f "|" kws($0) }
    sec == "device" && /"name":/ { print "device|" field($0, "name") "|" field($0, "file") "|" kws($0) }
' "$exp")
exp_nf=$(echo "$rows" | awk -F'|' '$1 == "nf" { print $2 }' | sort | tr '\n' ' ')
exp_dev=$(echo "$rows" | awk -F'|' '$1 == "device" { print $2 }' | sort | tr '\n' ' ')
if [ -x "$bin" ]; then
    # the plain-C NFs: every NAME_process defined in dpdk/*.c
    c_nfs=$(sed -n 's/^[a-z].*[ *]\([a-z0-9_]*\)_process(.*/\1/p' "$fx"/dpdk/*.c)
    bin_nf=$( ( "$bin" --list | awk '$1 == "nf" { print $2 }'; echo "$c_nfs" ) |
             sort | tr '\n' ' ')
    bin_dev=$("$bin" --list | awk '$1 == "device" { print $2 }' | sort | tr '\n' ' ')
    assert_eq "$exp_nf" "$bin_nf" "expected.json NFs vs nfs-bin --list"
    assert_eq "$exp_dev" "$bin_dev" "expected.json devices vs nfs-bin --list"
fi
nnf=$(echo "$rows" | grep -c '^nf|')
assert "[" "$nnf" -ge 20 "]"
bad=""
echo "$rows" | {
    while IFS='|' read -r kind name file kw; do
        src=$fx/$file
        if [ ! -f "$src" ]; then echo "$name: no file $file"; continue; fi
        case "$file" in
        *.c) grep -q "${name}_process(" "$src" || echo "$name: no ${name}_process in $file" ;;
        *) # class_name() may be inline in a header next to the source
           cat "$src" "$(dirname "$src")"/*.hh 2>/dev/null | grep -q "\"$name\"" ||
               echo "$name: no \"$name\" literal in $file or its headers" ;;
        esac
        # a base class in a header beside the source may read some keywords
        for k in $kw; do
            cat "$src" "$(dirname "$src")"/*.hh 2>/dev/null | grep -q "\"$k\"" ||
                echo "$name: keyword $k not in $file or its headers"
        done
    done
} >"$T/honesty"
bad=$(cat "$T/honesty")
assert_eq "$bad" "" "expected.json names/keywords found in their sources"
if command -v python3 >/dev/null 2>&1; then
    if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$exp" 2>"$T/json"; then t_ok; else
        t_bad "expected.json is not valid JSON: $(cat "$T/json")"
    fi
fi

t_done "fixtures build at -O0/-O2 with $warn, $nnf NFs, nfs-bin checks, expected.json consistent"
