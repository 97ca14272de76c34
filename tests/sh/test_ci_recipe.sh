#!/bin/sh
# The CI recipe, examples/ci/flowmage-ci.sh, run as the GitHub workflow and
# the GitLab job of examples/ci/ run it, minus the upload: on a FastClick-
# like repository made from the fixtures (sources under lib/ and
# elements/, compiled from userlevel/ with ../ paths as FastClick does, by
# the repository's own build command: make), with the plugin and the
# flowmage under test.  Asserts the recipe's exit status and SARIF for: no
# baseline yet, the maintainer creating it, no change, a new stateful NF, a
# key that changed (and its alert surviving moved lines), an NF that became
# ambiguous, a refresh after review, a build that fails, a build without
# flowmage facts.  Every SARIF must pass the code-scanning checks with each
# location an existing file and line of the repository.
. "$(dirname "$0")/lib.sh"
F="$FM_ROOT/tests/fixtures"
R="$T/repo"
mkdir -p "$R/include" "$R/lib" "$R/elements/nfs" "$R/userlevel" || exit 1
cp -r "$F/clicklike/include/click" "$R/include/"
for s in args element flow glue packet; do cp "$F/clicklike/lib/$s.cc" "$R/lib/"; done
for s in policer.cc hashedstate.hh fivetuplecounter.cc flowmanagerlike.cc flowpacketcounter.cc; do
    cp "$F/nfs/$s" "$R/elements/nfs/"
done
cp "$R/elements/nfs/policer.cc" "$T/policer.orig"
cat >"$R/userlevel/Makefile" <<'EOF'
# Builds like FastClick's userlevel/: from this directory, ../ sources.
CXX ?= g++
CXXFLAGS ?= -O0
SRCS := $(wildcard ../lib/*.cc ../elements/*/*.cc)
OBJS := $(notdir $(SRCS:.cc=.o))
vpath %.cc ../lib $(sort $(dir $(wildcard ../elements/*/*.cc)))
libclick.a: $(OBJS)
	rm -f $@ && ar rcs $@ $^
%.o: %.cc
	$(CXX) -std=gnu++17 -I../include $(CXXFLAGS) -MMD -MP -c $< -o $@
-include $(OBJS:.o=.d)
EOF

export FLOWMAGE="$FM_BIN" FLOWMAGE_PLUGIN="$FM_PLUGIN"
SARIF="$R/.flowmage/flowmage.sarif"
# ci WANT WHAT [options]: run the recipe from the repository root, as CI does.
ci() {
    want=$1 what=$2
    shift 2
    rm -f "$SARIF"
    (cd "$R" && sh "$FM_ROOT/examples/ci/flowmage-ci.sh" \
        --build 'make -s -j2 -C userlevel CXXFLAGS="-O0 $FLOWMAGE_CFLAGS"' \
        --inputs userlevel/libclick.a --build-dir userlevel "$@") >"$T/out" 2>"$T/err"
    got=$?
    assert_eq "$got" "$want" "exit status: $what"
    [ "$got" = "$want" ] || cat "$T/out" "$T/err" >&2
    if [ -f "$SARIF" ]; then
        assert_sarif --files "$SARIF"
        "$FM_BUILD/tests/test_sarif_rules" --list "$SARIF" >"$T/alerts"
    else
        : >"$T/alerts"
    fi
}
# alert RULE LEVEL URI:LINE: the SARIF lists that alert (as code scanning would).
alert() {
    if awk -F'\t' -v r="$1" -v l="$2" -v at="$3" '$1 == r && $2 == l && $3 == at { f = 1 }
        END { exit !f }' "$T/alerts"; then t_ok; else
        t_bad "no $1 $2 alert at $3 in: $(cat "$T/alerts")"
    fi
}
fingerprint() { awk -F'\t' -v r="$1" '$1 == r { print $4 }' "$T/alerts"; }
line_of() { grep -n "$1" "$2" | head -1 | cut -d: -f1; }

# Adoption: no baseline yet, then the maintainer creates and commits it.
ci 2 "no baseline yet"
assert_contains "$(cat "$T/err")" "--refresh-baseline" "says how to create the baseline"
ci 0 "baseline created" --refresh-baseline
assert [ -s "$R/ci/flowmage-attrs.json" ]
assert_contains "$(cat "$R/ci/flowmage-attrs.json")" '"name": "Policer"' "baseline has the NFs"

# No change.
ci 0 "no change"
assert_contains "$(cat "$T/out")" "no changes, nothing ambiguous" "check says no change"
assert_eq "$(wc -l <"$T/alerts" | tr -d ' ')" 0 "no alert"

# A new stateful NF: its definition (its own entry point) is the location.
cat >"$R/elements/nfs/hostcounter.cc" <<'EOF'
// HostCounter: packets per source host (the new NF of test_ci_recipe.sh).
#include <click/element.hh>
#include <click/hashtable.hh>

class HostCounter : public BatchElement {
  public:
    const char *class_name() const override { return "HostCounter"; }

    void push_batch(int, PacketBatch *batch) override {
        FOR_EACH_PACKET(batch, p) {
            uint32_t host = p->ip_header()->ip_src.s_addr;
            (*_count.find_insert(host))++;
        }
        output_push_batch(0, batch);
    }

  private:
    HashTable<uint32_t, uint64_t> _count;
};

EXPORT_ELEMENT(HostCounter)
EOF
ci 1 "a new stateful NF"
assert_contains "$(cat "$T/out")" "new       HostCounter: new network function (stateful, key {src_ip}" "new NF"
alert new-nf error "elements/nfs/hostcounter.cc:$(line_of 'void push_batch' "$R/elements/nfs/hostcounter.cc")"
assert_contains "$(cat "$T/err")" "refresh the baseline" "says how to accept it"
# The maintainer reviews it and accepts it.
ci 0 "baseline refreshed after review" --refresh-baseline
assert_contains "$(cat "$R/ci/flowmage-attrs.json")" '"name": "HostCounter"' "baseline has the new NF"
ci 0 "after the refresh"

# A key that changed: the key's evidence is the location.
sed 's/ip_header()->ip_dst).addr()/ip_header()->ip_src).addr()/' "$T/policer.orig" >"$R/elements/nfs/policer.cc"
assert grep -q 'ip_src).addr()' "$R/elements/nfs/policer.cc"
ci 1 "a key that changed"
assert_contains "$(cat "$T/out")" "Policer: key changed from {dst_ip} to {src_ip}" "key change"
at=$(line_of 'ip_header()->ip_src).addr()' "$R/elements/nfs/policer.cc")
alert key-changed error "elements/nfs/policer.cc:$at"
fp=$(fingerprint key-changed)
# Unrelated lines move: the alert follows, its fingerprint stays.
{ printf '// moved\n// moved\n// moved\n'; cat "$R/elements/nfs/policer.cc"; } >"$T/p" &&
    cp "$T/p" "$R/elements/nfs/policer.cc"
ci 1 "the same key change, lines moved"
alert key-changed error "elements/nfs/policer.cc:$((at + 3))"
assert_eq "$(fingerprint key-changed)" "$fp" "fingerprint across moved lines"
cp "$T/policer.orig" "$R/elements/nfs/policer.cc"
ci 0 "key change reverted"

# An NF that became ambiguous: its key now goes through a function the
# build does not define.
sed -e 's/return IPAddress(p->ip_header()->ip_dst).addr();/return opaque_mix(IPAddress(p->ip_header()->ip_dst).addr());/' \
    -e 's/^struct Bucket {/uint32_t opaque_mix(uint32_t);\nstruct Bucket {/' \
    "$T/policer.orig" >"$R/elements/nfs/policer.cc"
ci 1 "an NF that became ambiguous"
assert_contains "$(cat "$T/out")" "Policer: keeps per-flow state but its key is unknown" "ambiguity"
def=$(line_of 'class_name()' "$R/elements/nfs/policer.cc")   # its naming method
alert key-unknown error "elements/nfs/policer.cc:$def"
alert key-kind-changed error "elements/nfs/policer.cc:$def"
# Accepted after review, it stays listed as a note and no longer fails.
ci 0 "ambiguity accepted" --refresh-baseline
ci 0 "accepted ambiguity"
alert key-unknown note "elements/nfs/policer.cc:$def"

# A build that fails, a build without the plugin's facts.
echo 'this is not C++' >>"$R/elements/nfs/policer.cc"
ci 3 "the build fails"
cp "$T/policer.orig" "$R/elements/nfs/policer.cc"
(cd "$R" && sh "$FM_ROOT/examples/ci/flowmage-ci.sh" --no-build --inputs include) >/dev/null 2>"$T/err"
assert_eq "$?" 3 "exit status: no flowmage facts"
assert_contains "$(cat "$T/err")" "FLOWMAGE_CFLAGS" "says what to check"

t_done "flowmage-ci.sh on a FastClick-like fixture repository: exit 2 without baseline, 0 on no change, 1 on a new stateful NF, a changed key, a newly ambiguous NF, 0 after each refresh, 3 on a failing build or no facts; alerts at the class definition or key evidence, stable across moved lines; every SARIF passes the code-scanning checks with existing files and lines"
