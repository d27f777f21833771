#!/usr/bin/env bash
# bench/pairs.sh BASE NEW [SIZE] [ROUNDS]: (c) funnel straight into redis-server and (d) its
# RESP sink + redis-cli --pipe, for two funnel binaries run alternately on the same data
# (a size `make bench` generated under BENCH_DIR, default M), ROUNDS times (default 3). For
# telling a change of the program from a spell of this shared machine: a bench's medians of
# c/d moved by 0.05 between spells with one binary (docs/performance.md, "Where it stands").
# Prints, per round and binary, the seconds of (c) and (d) and their ratio.
set -euo pipefail
base=$1 new=$2 size=${3:-M} rounds=${4:-3}
data=${BENCH_DIR:-/tmp/funnel-bench}/$size
[ -f "$data/pipeline.yaml" ] || { echo "pairs: no $data/pipeline.yaml; run make bench with BENCH_SIZES=$size first" >&2; exit 1; }
# The days of a size read over several (L3), as the bench runs them.
range=(); read -r -a range < "$data/range" 2>/dev/null || true
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes --dir "$data" >/dev/null
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$data/pairs-out"' EXIT
sleep 0.5
# The wall seconds of a command, which must exit 0: a run that failed is no measurement (until
# 2026-12-05 a failed run was timed as a fast one).
seconds() { python3 -c 'import sys, time, subprocess; t = time.monotonic(); r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); sys.exit(f"pairs: {sys.argv[1]} exited with status {r.returncode}") if r.returncode else print(f"{time.monotonic() - t:.3f}")' "$@"; }
# The sessions a measurement left in Redis: (c) and (d) must leave as many, and some (until
# 2026-12-06 this script, unlike run.sh, timed whatever happened; a review, rv70e).
sessions() { redis-cli -p "$port" --scan --pattern 'sess:*' | wc -l; }
for round in $(seq "$rounds"); do
  for name in base new; do
    bin=${!name}
    redis-cli -p "$port" flushall >/dev/null; rm -rf "$data/pairs-out"
    c=$(seconds "$bin" run "$data/pipeline.yaml" "${range[@]}" --sink redis --redis-url "redis://127.0.0.1:$port/0" --output "$data/pairs-out" --progress never)
    loaded_c=$(sessions)
    redis-cli -p "$port" flushall >/dev/null; rm -rf "$data/pairs-out"
    d=$(seconds bash -c "\"$bin\" run \"$data/pipeline.yaml\" ${range[*]} --sink resp --output \"$data/pairs-out\" --progress never >/dev/null 2>&1 && redis-cli -p $port --pipe < \"$data/pairs-out/redis.resp\" > \"$data/pairs-pipe.log\"")
    loaded_d=$(sessions)
    grep -q 'errors: 0,' "$data/pairs-pipe.log" || { echo "pairs: redis-cli --pipe reported errors ($name, round $round): $(tail -1 "$data/pairs-pipe.log")" >&2; exit 1; }
    [ "$loaded_c" -gt 0 ] && [ "$loaded_c" = "$loaded_d" ] || { echo "pairs: $name left $loaded_c sessions by (c) and $loaded_d by (d), round $round" >&2; exit 1; }
    python3 -c "import sys; c, d = map(float, sys.argv[2:]); print(f'round {sys.argv[1]} $name: (c) {c:.2f} s  (d) {d:.2f} s  c/d {c / d:.3f}')" "$round" "$c" "$d"
  done
done
