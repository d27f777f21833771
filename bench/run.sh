#!/usr/bin/env bash
# make bench: the same generated inputs through (a) the zlib floor, (b) funnel into
# sessions.ndjson, (c) funnel straight into redis-server, (d) funnel's RESP sink + redis-cli
# --pipe; peak memory and CPU time of (b). Prints ratios and lines/s, and writes
# bench/results.json.
# Sizes: BENCH_SIZES="S M L L3" (visitors 15k / 150k / 450k on one day; L is about 3 million
# lines; L3 is as long as L with M's visitors at once: 150k a day over 3 days, one run with
# --from/--to, so M -> L3 shows memory against input length and M -> L against concurrency).
# Each measurement is taken BENCH_RUNS times (default 3) in rounds: every round measures every
# size, the four measurements interleaved, so that a slow spell of the machine hits all of
# them and all sizes; the median is reported with the range, and peak memory is the largest
# seen. Single runs on a shared 2-core machine vary by 10 to 30%; (b)'s CPU time (user +
# system) varies less, so M -> L is also given as CPU per line.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
sizes=${BENCH_SIZES:-"S M L L3"}
runs=${BENCH_RUNS:-3}
cc -O2 -o "$work/floor" bench/floor.c -lz
port=$((20000 + RANDOM % 20000))
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes --dir "$work" >/dev/null
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true' EXIT
sleep 0.5
# Times to the millisecond everywhere (the floor of S is about 0.05 s).
seconds() { python3 -c 'import sys; print(f"{float(sys.argv[1]):.3f}")' "$1"; }
median() { python3 -c 'import sys,statistics; print(f"{statistics.median(map(float, sys.argv[1:])):.3f}")' "$@"; }
spread() { python3 -c 'import sys; v = sorted(map(float, sys.argv[1:])); print(f"{v[0]:.3f}-{v[-1]:.3f}")' "$@"; }
now() { date +%s.%N; }
# The "time" line of a run's summary, in seconds.
reported() { grep -oE 'time +[0-9.]+' "$1" | grep -oE '[0-9.]+$'; }
list() { local IFS=,; echo "[$*]"; }
json="["
declare -A peak speed cpu
# Inputs and pipelines first; then the rounds.
declare -A A B BCPU C D RSS LINES DAYS RANGE
for size in $sizes; do
  days=1
  case $size in S) visitors=15000;; M) visitors=150000;; L) visitors=450000;; L3) visitors=150000; days=3;; *) echo "size $size?"; exit 1;; esac
  data="$work/$size"
  last=$(date -u -d "2024-03-01 + $((days - 1)) days" +%F)
  if [ ! -f "$data/events-$last.ndjson.gz" ]; then
    mkdir -p "$data"
    (cd "$data" && VISITORS=$visitors DAYS=$days python3 "$root/fixtures/demo/generate.py")
  fi
  RANGE[$size]=""
  if [ "$days" -gt 1 ]; then
    # The days as a nightly pipeline names them, read in one run.
    day_pipeline "$data/out" "$data/pipeline.yaml"
    RANGE[$size]="--from 2024-03-01 --to $last"
  else
    sed "s|output: out/|output: $data/out|" "$root/fixtures/demo/pipeline.yaml" > "$data/pipeline.yaml"
  fi
  DAYS[$size]=$days; RSS[$size]=0; A[$size]=""; B[$size]=""; BCPU[$size]=""; C[$size]=""; D[$size]=""
done
# Round after round, every size in each round: a slow spell of the machine then falls on all
# sizes alike instead of on whichever size it was measuring (M -> L compares sizes).
for run in $(seq "$runs"); do
  for size in $sizes; do
    data="$work/$size"
    read -r -a range <<< "${RANGE[$size]}"
    files=("$data"/access-*.log.gz "$data"/events-*.ndjson.gz)
    t0=$(now); LINES[$size]=$("$work/floor" "${files[@]}" | cut -d' ' -f1); t1=$(now)
    A[$size]+=" $(echo "$t1 - $t0" | bc -l)"
    rm -rf "$data/out"
    /usr/bin/time -f "%M %U %S" -o "$data/rss" "$bin" run "$data/pipeline.yaml" "${range[@]}" --progress never 2>"$data/b.log" >/dev/null || true
    B[$size]+=" $(reported "$data/b.log")"
    read -r kib user system < <(tail -1 "$data/rss")
    BCPU[$size]+=" $(echo "$user + $system" | bc -l)"
    if [ $((kib / 1024)) -gt "${RSS[$size]}" ]; then RSS[$size]=$((kib / 1024)); fi
    redis-cli -p "$port" flushall >/dev/null
    rm -rf "$data/rout"
    "$bin" run "$data/pipeline.yaml" "${range[@]}" --sink redis --redis-url "redis://127.0.0.1:$port/0" --output "$data/rout" --progress never 2>"$data/c.log" >/dev/null || true
    C[$size]+=" $(reported "$data/c.log")"
    redis-cli -p "$port" flushall >/dev/null
    rm -rf "$data/pout"
    t0=$(now)
    "$bin" run "$data/pipeline.yaml" "${range[@]}" --sink resp --output "$data/pout" --progress never 2>/dev/null >/dev/null || true
    redis-cli -p "$port" --pipe < "$data/pout/redis.resp" >/dev/null
    t1=$(now)
    D[$size]+=" $(echo "$t1 - $t0" | bc -l)"
    redis-cli -p "$port" flushall >/dev/null
  done
done
for size in $sizes; do
  read -r -a as <<< "${A[$size]}"; read -r -a bs <<< "${B[$size]}"; read -r -a cs <<< "${C[$size]}"; read -r -a ds <<< "${D[$size]}"
  read -r -a bcpus <<< "${BCPU[$size]}"
  lines=${LINES[$size]}; rss=${RSS[$size]}; days=${DAYS[$size]}
  floor=$(median "${as[@]}"); b=$(median "${bs[@]}"); c=$(median "${cs[@]}"); d=$(median "${ds[@]}"); bcpu=$(median "${bcpus[@]}")
  printf '%s: %s lines | floor %ss | ndjson %ss (%.1fx floor, %d lines/s, %d MiB peak) | redis %ss | resp+redis-cli %ss (redis/resp %.2f)\n' \
    "$size" "$lines" "$floor" "$b" "$(echo "$b / $floor" | bc -l)" "$(echo "$lines / $b" | bc)" "$rss" "$c" "$d" "$(echo "$c / $d" | bc -l)"
  if [ "$runs" -gt 1 ]; then
    printf '%s: medians of %d runs; ranges: floor %ss, ndjson %ss, redis %ss, resp+redis-cli %ss\n' \
      "$size" "$runs" "$(spread "${as[@]}")" "$(spread "${bs[@]}")" "$(spread "${cs[@]}")" "$(spread "${ds[@]}")"
  fi
  printf '%s: ndjson CPU (user + system) %ss, %.2f us a line (range %ss)\n' "$size" "$bcpu" "$(echo "$bcpu * 1000000 / $lines" | bc -l)" "$(spread "${bcpus[@]}")"
  peak[$size]=$rss
  speed[$size]=$(echo "$lines / $b" | bc)
  cpu[$size]=$(echo "$bcpu / $lines" | bc -l)
  json="$json{\"size\":\"$size\",\"days\":$days,\"lines\":$lines,\"runs\":$runs,\"floor_s\":$floor,\"ndjson_s\":$b,\"redis_s\":$c,\"resp_pipe_s\":$d,\"ndjson_peak_mib\":$rss,\"ndjson_cpu_s\":$bcpu,\"cores\":$(nproc),"
  json="$json\"floor_runs_s\":$(list $(for x in "${as[@]}"; do seconds "$x"; done)),\"ndjson_runs_s\":$(list "${bs[@]}"),\"redis_runs_s\":$(list "${cs[@]}"),\"resp_pipe_runs_s\":$(list $(for x in "${ds[@]}"; do seconds "$x"; done)),\"ndjson_cpu_runs_s\":$(list $(for x in "${bcpus[@]}"; do seconds "$x"; done))},"
done
for size in L L3; do
  if [ -n "${peak[M]:-}" ] && [ -n "${peak[$size]:-}" ]; then
    printf 'M -> %s: peak memory %+.1f%%, lines/s %+.1f%%, CPU per line %+.1f%%\n' "$size" \
      "$(echo "(${peak[$size]} - ${peak[M]}) * 100 / ${peak[M]}" | bc -l)" "$(echo "(${speed[$size]} - ${speed[M]}) * 100 / ${speed[M]}" | bc -l)" \
      "$(echo "(${cpu[$size]} - ${cpu[M]}) * 100 / ${cpu[M]}" | bc -l)"
    # Each round measured M and this size minutes apart, so a round's own ratio shows how
    # much of the medians' difference a slow spell could have made.
    if [ "$runs" -gt 1 ]; then
      read -r -a mb <<< "${B[M]}"; read -r -a sb <<< "${B[$size]}"
      rounds=""
      for i in "${!mb[@]}"; do
        rounds+=$(printf ' %+.1f%%' "$(echo "(${LINES[$size]} / ${sb[$i]} - ${LINES[M]} / ${mb[$i]}) * 100 / (${LINES[M]} / ${mb[$i]})" | bc -l)")
      done
      echo "M -> $size: lines/s by round:$rounds"
    fi
  fi
done
echo "${json%,}]" > "$root/bench/results.json"
echo "written bench/results.json ($(nproc) cores)"
