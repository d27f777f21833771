# Sourced by the bench scripts (run.sh, nightly.sh, heavy.sh) from the repository's root:
# where they work, the release build they measure, and the demo pipeline over named days.
root=$(pwd)
work=${BENCH_DIR:-/tmp/funnel-bench}
mkdir -p "$work"
# BENCH_FUNNEL measures another binary (an older build kept aside) on the same inputs; a
# relative path is the caller's (the scripts `cd` to the repository first), and nothing is
# built for it.
if [ -n "${BENCH_FUNNEL:-}" ]; then
  case $BENCH_FUNNEL in /*) ;; *) BENCH_FUNNEL="$OLDPWD/$BENCH_FUNNEL" ;; esac
  [ -x "$BENCH_FUNNEL" ] || { echo "bench: BENCH_FUNNEL=$BENCH_FUNNEL is no executable" >&2; exit 1; }
# Quiet when it builds; the compiler's messages (which `swift build` prints on standard
# output) when it does not: a failed build stopped the bench with nothing said.
elif ! swift build -c release > "$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log"
  echo "bench: the release build failed (whole log: $work/build.log)" >&2
  exit 1
fi
bin=${BENCH_FUNNEL:-"$root/.build/release/funnel"}

# fixtures/demo/pipeline.yaml with its paths by `{date}` (so `--date` and `--from/--to`
# name the days) and its output in $1, written to $2.
day_pipeline() {
  sed -e "s|output: out/|output: $1|" -e '/paths:/s|2024-03-01|{date}|' "$root/fixtures/demo/pipeline.yaml" > "$2"
}

# Whether the generated inputs in folder $1 came from this generate.py with settings $2 (its
# stamp, written by `stamp_inputs` after a whole generation). When not, the caller empties
# the folder and generates again: until 2026-12-05 inputs made by an older generator, or with
# other settings, were measured again without a word.
inputs_current() {
  [ "$(cat "$1/stamp" 2>/dev/null)" = "$(sha256sum "$root/fixtures/demo/generate.py" | cut -c1-16) $2" ]
}
stamp_inputs() {
  echo "$(sha256sum "$root/fixtures/demo/generate.py" | cut -c1-16) $2" > "$1/stamp"
}
