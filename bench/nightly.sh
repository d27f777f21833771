#!/usr/bin/env bash
# make bench-nightly: what a nightly cron sees as its history grows. Generated traffic of
# NIGHTLY_VISITORS new visitors a day (default 150,000, the bench's M: about 1 million lines)
# over NIGHTLY_DAYS days (default 30, from 2024-03-01), then one `funnel run --date D` per day
# into one output folder with the flat-file sink, each timed by /usr/bin/time. Prints per day
# the exit status, lines read, wall, user and system seconds, peak RSS, the history's size and
# its key filter (MB stored, and keys/capacity per part); then the means of the first and the
# last five days and the peaks. NIGHTLY_KEY_FILTER_BYTES sets the pipeline's
# limits.key_filter_bytes (default: the pipeline's default, 64 MiB). The 30 days of M take
# about 4 minutes (and 9 to generate, once), and 8 GB of disk under BENCH_DIR (default
# /tmp/funnel-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
days=${NIGHTLY_DAYS:-30}
visitors=${NIGHTLY_VISITORS:-150000}
# One folder of inputs per traffic level; days missing from it are generated (each day's
# traffic depends on its number alone, so a longer sequence adds to a shorter one's days).
data="$work/nightly-$visitors"
inputs_current "$data" "visitors=$visitors" || rm -rf "$data"
mkdir -p "$data"
first_missing=$days
for k in $(seq 0 $((days - 1))); do
  if [ ! -f "$data/events-$(date -u -d "2024-03-01 + $k days" +%F).ndjson.gz" ]; then first_missing=$k; break; fi
done
if [ "$first_missing" -lt "$days" ]; then
  (cd "$data" && VISITORS=$visitors FROM_DAY=$first_missing DAYS=$days python3 "$root/fixtures/demo/generate.py")
  stamp_inputs "$data" "visitors=$visitors"
fi
out="$data/out"
rm -rf "$out"
day_pipeline "$out" "$data/pipeline.yaml"
if [ -n "${NIGHTLY_KEY_FILTER_BYTES:-}" ]; then
  printf 'limits:\n  key_filter_bytes: %s\n' "$NIGHTLY_KEY_FILTER_BYTES" >> "$data/pipeline.yaml"
fi
log="$data/days.txt"
: > "$log"
for k in $(seq 0 $((days - 1))); do
  day=$(date -u -d "2024-03-01 + $k days" +%F)
  rc=0
  /usr/bin/time -f "%e %U %S %M" -o "$data/time.txt" "$bin" run "$data/pipeline.yaml" --date "$day" --progress never \
    > /dev/null 2> "$data/run.log" || rc=$?
  read -r wall user sys kib < "$data/time.txt"
  lines=$(grep -oE 'lines read +[0-9,]+' "$data/run.log" | grep -oE '[0-9,]+$' | tr -d , || echo 0)
  history=$(stat -c %s "$out/funnel-history.sqlite")
  filter=$(python3 - "$out/funnel-history.sqlite" <<'PY'
import sqlite3, struct, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
row = db.execute("SELECT data FROM key_filter WHERE id = 1").fetchone()
if row is None: print("none"); sys.exit()
data = row[0]; parts = []; offset = 11
for _ in range(struct.unpack("<Q", data[3:11])[0]):
    capacity, count, words = struct.unpack("<QQQ", data[offset:offset + 24]); offset += 24 + 8 * words
    parts.append(f"{count}/{capacity}")
print(f"{len(data) / 1e6:.1f}MB {','.join(parts)}")
PY
)
  echo "$day rc=$rc lines=$lines wall=$wall user=$user sys=$sys peak_mib=$((kib / 1024)) history_mb=$((history / 1000000)) filter=$filter" | tee -a "$log"
  [ "$rc" -eq 0 ] || { echo "day $day: exit $rc (see $data/run.log)"; exit 1; }
  # A night that read nothing, or wrote no session, is no measurement (until 2026-12-06 it
  # was timed as a fast one; run.sh's checks, a review, rv70e).
  written=$(grep -oE 'sessions +[0-9,]+ written' "$data/run.log" | grep -oE '[0-9,]+' | tr -d , || echo 0)
  [ "${lines:-0}" -gt 0 ] && [ "${written:-0}" -gt 0 ] || { echo "day $day: read $lines lines and wrote $written sessions (see $data/run.log)"; exit 1; }
done
python3 - "$log" <<'PY'
import sys
rows = [dict(f.split("=", 1) for f in line.split()[1:] if "=" in f) for line in open(sys.argv[1])]
def mean(sel, key): return sum(float(r[key]) for r in sel) / len(sel)
for name, sel in (("first", rows[:5]), ("last", rows[-5:])):
    print(f"{name} {len(sel)} days: wall {mean(sel, 'wall'):.2f} s, CPU {mean(sel, 'user') + mean(sel, 'sys'):.2f} s "
          f"(system {mean(sel, 'sys'):.2f} s), peak {min(int(r['peak_mib']) for r in sel)}-{max(int(r['peak_mib']) for r in sel)} MiB")
print(f"all {len(rows)} days: peak {max(int(r['peak_mib']) for r in rows)} MiB, history {rows[-1]['history_mb']} MB")
PY
