# Sourced by the bench scripts (run.sh, nightly.sh, heavy.sh) from the repository's root:
# where they work, the release build they measure, and the demo pipeline over named days.
root=$(pwd)
work=${BENCH_DIR:-/tmp/funnel-bench}
mkdir -p "$work"
# Quiet when it builds; the compiler's messages (which `swift build` prints on standard
# output) when it does not: a failed build stopped the bench with nothing said.
if ! swift build -c release > "$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log"
  echo "bench: the release build failed (whole log: $work/build.log)" >&2
  exit 1
fi
bin="$root/.build/release/funnel"

# fixtures/demo/pipeline.yaml with its paths by `{date}` (so `--date` and `--from/--to`
# name the days) and its output in $1, written to $2.
day_pipeline() {
  sed -e "s|output: out/|output: $1|" -e '/paths:/s|2024-03-01|{date}|' "$root/fixtures/demo/pipeline.yaml" > "$2"
}
