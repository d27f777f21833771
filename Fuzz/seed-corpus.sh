#!/usr/bin/env bash
# Writes the seed corpora of the fuzz harnesses, one input per file, from the repository's
# fixtures: access-log lines and their formats, NDJSON lines, URLs, user agents and whole
# (damaged) gzip files. Usage: Fuzz/seed-corpus.sh OUTPUT_FOLDER (makes OUTPUT/<harness>-seed).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: seed-corpus.sh OUTPUT_FOLDER}
harnesses="FuzzAccessLog FuzzLogFormat FuzzNDJSON FuzzURL FuzzUserAgent FuzzGzip FuzzStored"
for harness in $harnesses; do
    rm -rf "$out/$harness-seed"
    mkdir -p "$out/$harness-seed"
done

# The first lines of a file, plain or gzip (damaged ones give what they can), up to 4 KiB each.
first_lines() { { gzip -dcf "$1" 2>/dev/null || true; } | head -n "$2" | awk 'length($0) <= 4096'; }
# One file per line of standard input, named <prefix>-NNNN.
one_per_line() { split -l 1 -a 4 -d - "$1-"; }

n=0
for log in "$root"/fixtures/*/*.log "$root"/fixtures/*/*.log.gz; do
    [ -f "$log" ] || continue
    n=$((n + 1))
    first_lines "$log" 40 | one_per_line "$out/FuzzAccessLog-seed/log$n"
    # The request targets and referrers of those lines, for the URL parser.
    first_lines "$log" 40 | awk -F'"' '{ split($2, r, " "); print r[2]; print $4 }' | grep -av '^-\?$' \
        | one_per_line "$out/FuzzURL-seed/log$n" || true
    # The source's format (from its pipeline.yaml) and one of its lines.
    format=$(sed -n "s/^ *format: *'\(.*\)' *$/\1/p; s/^ *format: *\([a-z]*\) *$/\1/p" "$(dirname "$log")/pipeline.yaml" | head -n 1)
    { echo "${format:-combined}"; first_lines "$log" 1; } > "$out/FuzzLogFormat-seed/format$n"
done
for events in "$root"/fixtures/*/*.ndjson "$root"/fixtures/*/*.ndjson.gz; do
    [ -f "$events" ] || continue
    n=$((n + 1))
    first_lines "$events" 40 | one_per_line "$out/FuzzNDJSON-seed/events$n"
    first_lines "$events" 40 | grep -ao '"\(url\|page\|referrer\|\$current_url\)":"[^"]*"' | cut -d'"' -f4 \
        | one_per_line "$out/FuzzURL-seed/events$n" || true
done
grep -v '^#' "$root/Tests/FunnelTests/Data/user-agents.tsv" | cut -f 4 | head -n 400 | one_per_line "$out/FuzzUserAgent-seed/ua"
for input in "$root"/fixtures/*/*.gz "$root"/fixtures/*/*.log "$root"/fixtures/*/*.ndjson; do
    [ -f "$input" ] && [ "$(stat -c %s "$input")" -le 65536 ] || continue
    n=$((n + 1))
    cp "$input" "$out/FuzzGzip-seed/input$n"
done
# Stored forms of a history, after the byte that picks the form (0 key filter, 1 visitor
# row, 2 records): an empty filter of one part of 64 keys, a visitor row, one record and a
# block of two, as the S bench's history holds them.
hex() { printf '%s' "$1" | sed 's/../\\x&/g' | xargs -0 printf '%b'; }
u64() { printf '%016x' "$1" | sed 's/\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)/\8\7\6\5\4\3\2\1/'; }
stored="$out/FuzzStored-seed"
hex "00$(printf 'KF1' | od -An -tx1 | tr -d ' \n')$(u64 1)$(u64 64)$(u64 0)$(u64 10)$(printf '%0160d' 0)" > "$stored/filter"
{ printf '\001'; printf '3:s:a4:v:ab|16:8350bb099b7c9b2d'; } > "$stored/row"
hex "0201016102085061676556696577030D3137303932353933323730303004353030303030303030303030307C6163636573732D776562322D323032342D30332D30312E6C6F672E677A7C303030303030333133330B012F0D126670303035653132326533663966663337380F076465736B746F7010064368726F6D6511025553" > "$stored/record"
hex "0200860101016102085061676556696577030D3137303932373232313730303004353030303030303030303030307C6163636573732D776562322D323032342D30332D30312E6C6F672E677A7C303030303030383731320506733030303930060576303030390B012F0D0576303030390F066D6F62696C65101053616D73756E6720496E7465726E65746A01016302085061676556696577030D3137303932373232313930303004333030313030303030303030307C6576656E74732D323032342D30332D30312E6E646A736F6E2E677A7C303030303030353138320506733030303930060576303030390B012F0D057630303039" > "$stored/block"
for harness in $harnesses; do
    echo "seed corpus $harness: $(ls "$out/$harness-seed" | wc -l) inputs"
done
