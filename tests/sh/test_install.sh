# make install: CLI, plugin (also in GCC's plugin directory, so that
# -fplugin=flowmage works by name), profiles and man page under DESTDIR;
# the installed tools work without the source tree.
. "$FM_ROOT/tests/sh/lib.sh"
unset FLOWMAGE_DATADIR
make -C "$FM_ROOT" --no-print-directory BUILD="$FM_BUILD" install DESTDIR="$T/root" PREFIX=/usr \
    >"$T/log" 2>&1
assert_eq "$?" 0 "make install"
pdir=$(gcc -print-file-name=plugin)
for f in usr/bin/flowmage usr/lib/flowmage/flowmage.so "${pdir#/}/flowmage.so" \
         usr/share/flowmage/profiles/fastclick.json usr/share/flowmage/profiles/dpdk.json \
         usr/share/man/man1/flowmage.1; do
    assert test -f "$T/root/$f"
done
# the plugin by name, from the (relocated) plugin directory
cd "$FM_ROOT/tests/fixtures" || exit 2
g++ -std=gnu++17 -Iclicklike/include -iplugindir="$T/root$pdir" -fplugin=flowmage \
    -c nfs/policer.cc -o "$T/p.o"
assert_eq "$?" 0 "compile with -fplugin=flowmage by name"
assert_contains "$(readelf -SW "$T/p.o")" ".flowmage" "facts recorded"
# the installed CLI finds its profiles next to itself
cd "$T" || exit 2
"$T/root/usr/bin/flowmage" summarize -q "$T/p.o" -o "$T/sum"
assert_eq "$?" 0 "installed summarize runs outside the source tree"
assert test -f "$T/sum/Policer.json"
t_done "install layout, -fplugin=flowmage by name, installed CLI finds its profiles"
