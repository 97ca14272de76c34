#!/bin/sh
# flowmage in a framework's CI: build with the plugin, summarize, analyze
# offline, and check the attributes against the reviewed baseline, with
# SARIF for code scanning.  One script for GitHub Actions, GitLab CI and a
# maintainer's shell (examples/ci/README.md); it downloads nothing and
# uploads nothing.  Run it from the repository root.
#
#   flowmage-ci.sh --build 'BUILD COMMAND' [options]
#
# The build command is the repository's own, run with sh -c; it must add
# $FLOWMAGE_CFLAGS (set here: -fplugin=...) to the C and C++ flags, e.g.
#   --build './configure CFLAGS="-O2 $FLOWMAGE_CFLAGS" CXXFLAGS="-O2 $FLOWMAGE_CFLAGS" && make -j4'
# It may go through ccache: a cache hit restores the object file whole,
# .flowmage section included, and a changed plugin file is a miss (so is,
# by default, a plugin rebuilt to the same bytes: CCACHE_COMPILERCHECK=content
# avoids that; examples/ci/README.md).
#
# Options:
#   --build CMD          the build command (required unless --no-build)
#   --no-build           reuse the objects of a previous build
#   --inputs PATH        what summarize reads: the linked binary, an archive
#                        or a directory of objects (repeatable; default .)
#   --build-dir DIR      where the compiler ran, which source paths in the
#                        facts are relative to (default .; FastClick: userlevel)
#   --baseline FILE      the reviewed attributes, committed
#                        (default ci/flowmage-attrs.json)
#   --out DIR            outputs (default .flowmage): summaries/, attrs.json,
#                        check.txt, flowmage.sarif
#   --profile P          framework profile (default fastclick)
#   --fail-on CLASSES    passed to flowmage check (default new,changed,ambiguous)
#   --refresh-baseline   after review: make this build's attributes the
#                        baseline (then commit it); never fails on findings
# Environment: FLOWMAGE (the flowmage program, default: flowmage on PATH),
# FLOWMAGE_PLUGIN (a path to flowmage.so, or the name of a plugin installed
# in GCC's plugin directory; default flowmage).
#
# Exit status: 0 nothing needs a human (or baseline refreshed); 1 findings
# need a human (see check.txt, flowmage.sarif); 2 usage or bad input (no
# baseline yet: run with --refresh-baseline first); 3 the build failed or
# produced no flowmage facts, or flowmage is missing.
set -u

die() { # status message
    echo "flowmage-ci: $2" >&2
    exit "$1"
}

build="" no_build=0 inputs="" build_dir=. baseline=ci/flowmage-attrs.json out=.flowmage
profile=fastclick fail_on="" refresh=0
while [ $# -gt 0 ]; do
    case $1 in
    --build) [ $# -ge 2 ] || die 2 "--build needs a command"; build=$2; shift ;;
    --no-build) no_build=1 ;;
    --inputs) [ $# -ge 2 ] || die 2 "--inputs needs a path"; inputs="$inputs
$2"; shift ;;
    --build-dir) [ $# -ge 2 ] || die 2 "--build-dir needs a directory"; build_dir=$2; shift ;;
    --baseline) [ $# -ge 2 ] || die 2 "--baseline needs a file"; baseline=$2; shift ;;
    --out) [ $# -ge 2 ] || die 2 "--out needs a directory"; out=$2; shift ;;
    --profile) [ $# -ge 2 ] || die 2 "--profile needs a name"; profile=$2; shift ;;
    --fail-on) [ $# -ge 2 ] || die 2 "--fail-on needs classes"; fail_on=$2; shift ;;
    --refresh-baseline) refresh=1 ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die 2 "unknown argument: $1 (see --help)" ;;
    esac
    shift
done
[ -n "$build" ] || [ "$no_build" = 1 ] || die 2 "no --build command (or --no-build)"
[ -n "$inputs" ] || inputs=.
flowmage=${FLOWMAGE:-flowmage}
command -v "$flowmage" >/dev/null 2>&1 || die 3 "$flowmage not found (set FLOWMAGE)"
if [ ! -f "$baseline" ] && [ "$refresh" = 0 ]; then
    die 2 "no baseline $baseline yet: run with --refresh-baseline, review it, commit it"
fi

# GCC takes an absolute path or the name of an installed plugin; a relative
# path would break in builds that change directories.
plugin=${FLOWMAGE_PLUGIN:-flowmage}
case $plugin in
*/*) plugin=$(cd "$(dirname "$plugin")" && pwd)/$(basename "$plugin") ||
         die 3 "no plugin directory for $FLOWMAGE_PLUGIN" ;;
esac
FLOWMAGE_CFLAGS="-fplugin=$plugin"
export FLOWMAGE_CFLAGS

if [ "$no_build" = 0 ]; then
    echo "flowmage-ci: build: $build" >&2
    sh -c "$build" || die 3 "the build command failed (exit $?)"
fi

mkdir -p "$out" || die 3 "cannot create $out"
# Word splitting on newlines only: input paths may hold spaces.
old_ifs=$IFS
IFS='
'
# shellcheck disable=SC2086
"$flowmage" summarize -q -p "$profile" $inputs -o "$out/summaries"
rc=$?
IFS=$old_ifs
[ "$rc" = 0 ] || die 3 "summarize found no usable flowmage facts (was the build run with \$FLOWMAGE_CFLAGS?)"
# Offline: never the LLM, whatever the environment says.
"$flowmage" analyze --no-llm "$out/summaries" -o "$out/attrs.json" ||
    die 3 "analyze failed"

if [ "$refresh" = 1 ]; then
    if [ -f "$baseline" ]; then
        "$flowmage" check --baseline "$baseline" "$out/attrs.json" --summaries "$out/summaries" \
            --fail-on none >"$out/check.txt"
        cat "$out/check.txt"
    fi
    # A copy then a rename: the baseline is never half-written.
    if ! { mkdir -p "$(dirname "$baseline")" && cp "$out/attrs.json" "$baseline.tmp.$$" &&
           mv "$baseline.tmp.$$" "$baseline"; }; then
        rm -f "$baseline.tmp.$$"
        die 3 "cannot write $baseline"
    fi
    echo "flowmage-ci: baseline $baseline refreshed from this build: review the diff and commit it" >&2
    exit 0
fi

set -- --baseline "$baseline" "$out/attrs.json" --summaries "$out/summaries" \
    --source-root . --build-dir "$build_dir" --sarif "$out/flowmage.sarif"
[ -n "$fail_on" ] && set -- "$@" --fail-on "$fail_on"
"$flowmage" check "$@" >"$out/check.txt"
rc=$?
cat "$out/check.txt"
case $rc in
0) ;;
1) echo "flowmage-ci: findings need a review; once accepted, refresh the baseline:" >&2
   echo "    sh $0 --refresh-baseline ... (the same options), then commit $baseline" >&2 ;;
*) echo "flowmage-ci: flowmage check failed (exit $rc)" >&2 ;;
esac
exit "$rc"
