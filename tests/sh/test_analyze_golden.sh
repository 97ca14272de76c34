#!/bin/sh
# flowmage analyze offline: the static attributes of tests/analyze/chain
# (golden), determinism, prompts that hold only the per-packet source lines,
# and an unreachable endpoint (exit 3, nothing written).
. "$(dirname "$0")/lib.sh"
A="$FM_ROOT/tests/analyze"
unset OPENAI_BASE_URL OPENAI_API_KEY
export XDG_CACHE_HOME="$T/xdg"

"$FM_BIN" analyze "$A/chain" -o "$T/a1.json" 2>"$T/err"
assert_eq "$?" 0 "static analyze exit status"
assert_eq "$(cat "$T/err")" "" "static analyze is silent"
assert_golden "$T/a1.json" "$A/static.golden.json" "static attributes"
"$FM_BIN" analyze "$A/chain" -o "$T/a2.json"
assert cmp -s "$T/a1.json" "$T/a2.json"                      # deterministic
assert_not_contains "$(cat "$T/a1.json")" "static+llm" "no LLM without an endpoint"
assert_eq "$(grep -c '"cost_rank"' "$T/a1.json")" 6 "every NF ranked, others not"
assert [ ! -d "$T/xdg" ]                                      # no cache touched

# OPENAI_BASE_URL set but --no-llm: still static, nothing sent
OPENAI_BASE_URL=http://127.0.0.1:1/v1 "$FM_BIN" analyze "$A/chain" -o "$T/a3.json" --no-llm
assert_eq "$?" 0 "--no-llm exit status"
assert cmp -s "$T/a1.json" "$T/a3.json"

# prompts: facts + the per-packet lines only, never whole files
"$FM_BIN" analyze "$A/chain" --print-prompts "$T/p" --source-root "$A/src"
assert_eq "$?" 0 "--print-prompts exit status"
pol=$(cat "$T/p/nf-Policer.txt")
assert_contains "$pol" "20| Bucket &b = _buckets.find_insert" "per-packet line in the prompt"
assert_contains "$pol" "key dst_ip (Policer::simple_action nfs/policer.cc:20)" "key field with its evidence"
assert_not_contains "$pol" "read_mp" "configure() not in the prompt"
assert_not_contains "$pol" "#include" "no file header in the prompt"
assert_not_contains "$pol" "never shown" "no comment in the prompt"
assert_contains "$(cat "$T/p/nf-Policer.json")" '"type":"json_schema"' "request body asks for a JSON schema"
assert_eq "$(wc -l <"$T/p/prompts.tsv" | tr -d ' ')" 8 "6 NF prompts + 1 comparison + header"
assert_eq "$(head -1 "$T/p/prompts.tsv")" "$(printf 'kind\tname\tprompt_bytes\tuser_bytes\tsystem_bytes\tsource_bytes\tfile')" "index columns"
# one system message for every NF: same size on every row
assert_eq "$(awk -F'\t' '$1=="nf"{print $5}' "$T/p/prompts.tsv" | sort -u | wc -l | tr -d ' ')" 1 "one system message"
src_bytes=$(cat "$A/src/nfs/policer.cc" "$A/src/nfs/policer.hh" | wc -c)
nf_bytes=$(awk -F'\t' '$2=="Policer"{print $4}' "$T/p/prompts.tsv")
assert [ "$nf_bytes" -gt 0 ]
assert [ "$nf_bytes" -lt "$src_bytes" ]
assert [ "$(awk -F'\t' '$2=="Policer"{print $6}' "$T/p/prompts.tsv")" -le 1024 ]   # default budget

# --source-budget bounds the excerpt of every NF
"$FM_BIN" analyze "$A/chain" --print-prompts "$T/p2" --source-root "$A/src" --source-budget 80
assert_eq "$?" 0 "--source-budget exit status"
assert_eq "$(awk -F'\t' '$1=="nf" && $6>80' "$T/p2/prompts.tsv")" "" "every excerpt within 80 bytes"
assert [ "$(awk -F'\t' '$2=="Policer"{print $6}' "$T/p2/prompts.tsv")" -gt 0 ]
"$FM_BIN" analyze "$A/chain" --print-prompts "$T/p3" --source-budget lots 2>/dev/null
assert_eq "$?" 2 "a bad --source-budget is a usage error"

# nothing listens on port 1: exit 3, one line naming the URL, no output
"$FM_BIN" analyze "$A/chain" -o "$T/dead.json" --endpoint http://127.0.0.1:1/v1 \
    --retries 1 --backoff 0.01 2>"$T/err"
assert_eq "$?" 3 "dead endpoint exit status"
assert_contains "$(cat "$T/err")" "http://127.0.0.1:1/v1" "error names the URL"
assert_eq "$(wc -l <"$T/err" | tr -d ' ')" 1 "one-line error"
assert [ ! -e "$T/dead.json" ]

# the key file must be private
printf 'sk-shelltest-123456\n' >"$T/key"; chmod 644 "$T/key"
"$FM_BIN" analyze "$A/chain" -o "$T/k.json" --endpoint http://127.0.0.1:1/v1 \
    --api-key-file "$T/key" 2>"$T/err"
assert_eq "$?" 2 "group/other-readable key file refused"
assert_not_contains "$(cat "$T/err")" "sk-shelltest" "refusal does not print the key"
t_done "static golden, determinism, --no-llm, prompts hold per-packet lines only (no comments, within --source-budget, one system message), dead endpoint exit 3, key file mode"
