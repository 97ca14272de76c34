# Reading facts back: a corrupt, truncated or future-version .flowmage
# section, or a file that is no object at all, is a one-line error naming
# the file and the byte offset, exit status 2.
. "$FM_ROOT/tests/sh/lib.sh"
src="$FM_BUILD/fixtures/O0/policer.o"
objcopy --dump-section .flowmage="$T/good.bin" "$src" "$T/scratch.o"
off=$(readelf -SW "$src" | awk '/ \.flowmage / { sub(/^.*\]/, ""); print $4 }')
off=$((0x$off))

# patch BYTE at POS of the section into a copy of the object
patched() { # name pos byte
    cp "$T/good.bin" "$T/$1.bin"
    printf "$3" | dd of="$T/$1.bin" bs=1 seek="$2" conv=notrunc 2>/dev/null
    cp "$src" "$T/$1.o"
    objcopy --update-section .flowmage="$T/$1.bin" "$T/$1.o"
}
expect_error() { # object text what
    "$FM_BIN" dump --stats "$1" >/dev/null 2>"$T/err"
    assert_eq "$?" 2 "$3: exit status"
    assert_contains "$(cat "$T/err")" "$2" "$3: message"
    assert_eq "$(wc -l <"$T/err")" 1 "$3: one line"
}

# the payload byte at 100, flipped (whatever it was, it changes)
flip=$(od -An -tu1 -j100 -N1 "$T/good.bin" | tr -d ' ')
patched corrupt 100 "$(printf '\\%03o' $((255 - flip)))"

expect_error "$T/corrupt.o" "corrupt.o: offset $off: corrupt .flowmage unit: checksum mismatch" "corrupt payload"
patched future 4 '\011'
expect_error "$T/future.o" "format version 9.0" "future version"
patched magic 1 'Q'
expect_error "$T/magic.o" "offset $off: corrupt .flowmage section: bad magic" "bad magic"
low=$(od -An -tu1 -j6 -N1 "$T/good.bin" | tr -d ' ') # 0 stored as is, 1 deflated
patched flags 7 '\200'
expect_error "$T/flags.o" "offset $off: .flowmage unit with unknown flags 0x800$low" "unknown header flags"
head -c 200 "$T/good.bin" >"$T/short.bin"
cp "$src" "$T/short.o"
objcopy --update-section .flowmage="$T/short.bin" "$T/short.o"
expect_error "$T/short.o" "truncated .flowmage unit" "truncated section"
cp "$T/short.bin" "$T/short.fmg"
expect_error "$T/short.fmg" "short.fmg: offset 0: truncated" "truncated raw dump"
echo "hello" >"$T/text.o"
expect_error "$T/text.o" "text.o: not an object file" "not an object"
expect_error "$T/missing.o" "missing.o: No such file" "missing file"
# an ELF without facts is fine (counted, not an error)
gcc -c -x c /dev/null -o "$T/empty.o"
assert_contains "$("$FM_BIN" dump --stats "$T/empty.o")" "files_without_facts 1" "object without facts"
# two units back to back with padding between (what ld produces)
objcopy --dump-section .flowmage="$T/other.bin" "$FM_BUILD/fixtures/O0/symconnmarker.o" "$T/scratch.o"
{ cat "$T/good.bin"; printf '\0\0\0'; cat "$T/other.bin"; } >"$T/two.fmg"
assert_contains "$("$FM_BIN" dump --stats "$T/two.fmg")" "units 2" "padded units"
# the same unit twice (an object and the archive made of it) is read once
{ cat "$T/good.bin"; printf '\0'; cat "$T/good.bin"; } >"$T/dup.fmg"
st=$("$FM_BIN" dump --stats "$T/dup.fmg")
assert_contains "$st" "units 1" "repeated unit read once"
assert_contains "$st" "duplicate_units 1" "repeated unit counted"
assert_contains "$st" "bytes $(($(stat -c %s "$T/good.bin") - 16))" "stored payload bytes (16-byte header)"
# the same in objects, read unit by unit from the file: a relocatable link
# pads between units; an archive holding an object twice has each unit twice
ld -r "$src" "$FM_BUILD/fixtures/O0/symconnmarker.o" -o "$T/two.o"
assert_contains "$("$FM_BIN" dump --stats "$T/two.o")" "units 2" "padded units in an object"
cp "$src" "$T/again.o"
ar rc "$T/twice.a" "$src" "$T/again.o"
st=$("$FM_BIN" dump --stats "$T/twice.a")
assert_contains "$st" "units 1" "archive: repeated unit read once"
assert_contains "$st" "duplicate_units 1" "archive: repeated unit counted"
# a unit is known by its checksum and size: a copy of one already read is
# skipped unchecked (never used either way), but a corrupt unit read first
# is still an error
objcopy --dump-section .flowmage="$T/corrupt.bin" "$T/corrupt.o" "$T/scratch.o"
{ cat "$T/good.bin"; printf '\0'; cat "$T/corrupt.bin"; } >"$T/dupbad.fmg"
st=$("$FM_BIN" dump --stats "$T/dupbad.fmg")
assert_eq "$?" 0 "copy of a read unit: not read"
assert_contains "$st" "duplicate_units 1" "copy of a read unit: counted"
{ cat "$T/corrupt.bin"; printf '\0'; cat "$T/good.bin"; } >"$T/baddup.fmg"
expect_error "$T/baddup.fmg" "baddup.fmg: offset 0: corrupt .flowmage unit: checksum mismatch" \
    "corrupt unit before its copy"
# a deflated unit (the plugin's compress option) whose stream is cut short,
# its size and checksum made right again: it does not inflate
i=0
while [ $i -lt 30 ]; do
    echo "struct s$i { int a, b; }; int g$i(struct s$i *p, int k) { if (k) p->a += k; return p->b; }"
    i=$((i + 1))
done >"$T/z.c"
gcc -c -fplugin="$FM_PLUGIN" -fplugin-arg-flowmage-compress "$T/z.c" -o "$T/z.o"
objcopy --dump-section .flowmage="$T/z.bin" "$T/z.o" "$T/scratch.o"
assert_eq "$(od -An -tu1 -j6 -N1 "$T/z.bin" | tr -d ' ')" 1 "compress: a deflated unit"
assert_contains "$("$FM_BIN" dump --stats "$T/z.o")" "units 1" "deflated unit read"
plen=$(($(stat -c %s "$T/z.bin") - 16 - 20))
tail -c +17 "$T/z.bin" | head -c $plen >"$T/zpay.bin"
le32() { printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)) \
    $(($1 >> 16 & 255)) $(($1 >> 24 & 255)))"; }
crc=$(gzip -c "$T/zpay.bin" | tail -c 8 | od -An -tu4 -N4 | tr -d ' ')
{ head -c 8 "$T/z.bin"; le32 $plen; le32 "$crc"; cat "$T/zpay.bin"; } >"$T/zcut.fmg"
expect_error "$T/zcut.fmg" "zcut.fmg: offset 0: corrupt .flowmage unit: compressed payload does not inflate" \
    "deflated stream cut short"
t_done "corrupt, future-version, bad-magic, truncated (ELF and raw), non-object and missing inputs; padding; copies of a unit; a deflated unit, and one that does not inflate"
