#!/usr/bin/env bash
# make bench-heavy: what a visitor who never goes away costs (docs/operations.md, "Visitors who
# never go away"). Generated traffic of HEAVY_DAYS days (default 20, from 2024-03-01): one
# visitor with a page view every 6 seconds around the clock (14,400 records a day), with
# cookies (client sessions of HEAVY_SESSION_RECORDS records, default 200: 72 a day; 3 gives
# 4,800 a day, a visitor of thousands of client sessions; HEAVY_COOKIES=1, the default) or
# without (one address and agent: a fingerprint visitor; HEAVY_COOKIES=0), from HEAVY_START (a time of day,
# default 00:00) of the first day, each record in the log of its own day, beside 200 ordinary
# visitors a day from fixtures/demo/generate.py. Then, timed by /usr/bin/time: one `funnel run --from
# --to` over all the days, and one `funnel run --date D` per day into another folder; per run
# the wall seconds, peak RSS and the heavy-visitor warning if any; then the nights' ranges
# and how the last night's memory compares with the second's; at the end, whether the nightly
# folder's `funnel export` equals the one run's sessions.ndjson byte for byte, after the
# last night and a middle one are run again.
# About a minute for the default 20 days, under BENCH_DIR (default /tmp/funnel-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
days=${HEAVY_DAYS:-20}
cookies=${HEAVY_COOKIES:-1}
start=${HEAVY_START:-00:00}
per=${HEAVY_SESSION_RECORDS:-200}
data="$work/heavy-$cookies-$days"
[ "$start" = 00:00 ] || data="$data-${start//:/}"
[ "$per" = 200 ] || data="$data-s$per"
settings="heavy $(sha256sum bench/heavy.sh | cut -c1-16)"
inputs_current "$data" "$settings" || rm -rf "$data"
mkdir -p "$data"
last=$(date -u -d "2024-03-01 + $((days - 1)) days" +%F)
if [ ! -f "$data/access-web3-$last.log.gz" ]; then
  (cd "$data" && VISITORS=200 DAYS=$days python3 "$root/fixtures/demo/generate.py")
  # The heavy visitor's own log, a third server's (the pipeline reads access-*-{date}).
  (cd "$data" && DAYS=$days COOKIES=$cookies START=$start PER=$per python3 - <<'EOF'
import datetime, gzip, os
days, cookies, per = int(os.environ["DAYS"]), os.environ["COOKIES"] == "1", int(os.environ["PER"])
hours, minutes = map(int, os.environ["START"].split(":"))
agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"
first = datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc)
begin = first + datetime.timedelta(hours=hours, minutes=minutes)
for d in range(days):
    day = first + datetime.timedelta(days=d)
    with gzip.open(f"access-web3-{day:%Y-%m-%d}.log.gz", "wt") as f:
        for i in range(14400):
            t = day + datetime.timedelta(seconds=6 * i)
            if t < begin:
                continue
            ids = f'"heavy" "hs{d}x{i // per}"' if cookies else '"-" "-"'
            f.write(f'198.51.100.7 - - [{t:%d/%b/%Y:%H:%M:%S} +0000] "GET /watch HTTP/2.0" 200 1234 "-" "{agent}" {ids} "DE"\n')
EOF
  )
  stamp_inputs "$data" "$settings"
fi
day_pipeline "$data/one" "$data/pipeline.yaml"
day_pipeline "$data/nightly" "$data/nightly.yaml"
# One line per run: what, wall seconds, peak KB, the warning's head if any.
report() {
  read -r wall kib < "$data/time"
  printf '%-22s %6.2f s %8d KB  %s\n' "$1" "$wall" "$kib" "$(grep -o 'warning .*records or more ([^)]*)' "$data/log" || true)"
}
rm -rf "$data/one" "$data/nightly" "$data/export"
/usr/bin/time -f "%e %M" -o "$data/time" "$bin" run "$data/pipeline.yaml" --from 2024-03-01 --to "$last" --progress never 2>"$data/log" >/dev/null
report "one run, $days days"
nights=()
for k in $(seq 0 $((days - 1))); do
  day=$(date -u -d "2024-03-01 + $k days" +%F)
  /usr/bin/time -f "%e %M" -o "$data/time" "$bin" run "$data/nightly.yaml" --date "$day" --progress never 2>"$data/log" >/dev/null
  report "night $day"
  read -r wall kib < "$data/time"
  nights+=("$wall $kib $(grep -c 'records or more' "$data/log" || true)")
done
# The nights at a glance: a visitor continued every night keeps them flat; one rebuilt whole
# makes the last night's memory a multiple of the second's (the first may be a part day).
printf '%s\n' "${nights[@]}" | awk '
  NR <= 2 { second = $2 } { last = $2; warned += $3 > 0
    if (NR == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1; if (NR == 1 || $2 < klo) klo = $2; if ($2 > khi) khi = $2 }
  END { printf "nights: %.2f-%.2f s, %d-%d KB, last night %.2fx the second, warning on %d of %d\n", lo, hi, klo, khi, last / second, warned, NR }'
# Nights run again (a retry after a failure, a backfill over days already done): the last and
# the middle one. Their lines are all in the history; they should cost what a night costs.
for day in "$last" "$(date -u -d "2024-03-01 + $((days / 2)) days" +%F)"; do
  /usr/bin/time -f "%e %M" -o "$data/time" "$bin" run "$data/nightly.yaml" --date "$day" --progress never 2>"$data/log" >/dev/null
  report "night $day again"
done
"$bin" export "$data/nightly.yaml" --to "$data/export" >/dev/null
if cmp -s "$data/export/sessions.ndjson" "$data/one/sessions.ndjson"; then
  echo "nightly export = one run's sessions ($(wc -l < "$data/one/sessions.ndjson") sessions)"
else
  echo "nightly export DIFFERS from one run's sessions"; exit 1
fi
