#!/usr/bin/env bash
# Writes the seed corpora of the fuzz harnesses, one input per file, from the repository's
# fixtures: access-log lines and their formats, NDJSON lines, URLs, user agents and whole
# (damaged) gzip files. Usage: Fuzz/seed-corpus.sh OUTPUT_FOLDER (makes OUTPUT/<harness>-seed).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: seed-corpus.sh OUTPUT_FOLDER}
for harness in FuzzAccessLog FuzzLogFormat FuzzNDJSON FuzzURL FuzzUserAgent FuzzGzip; do
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
for harness in FuzzAccessLog FuzzLogFormat FuzzNDJSON FuzzURL FuzzUserAgent FuzzGzip; do
    echo "seed corpus $harness: $(ls "$out/$harness-seed" | wc -l) inputs"
done
