# funnel: build, test and demo on a fresh Debian machine. Every target installs what it needs.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := zlib1g-dev libhiredis-dev libjemalloc-dev libsqlite3-dev redis-server redis-tools gzip libmaxminddb-dev bc time
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := .build/debug/funnel

.PHONY: all deps build release test fuzz demo bench bench-nightly bench-heavy clean

all: build

# Installs missing system packages with apt (zlib, hiredis, a real redis-server for the tests).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Unit tests, golden fixtures (NDJSON sink and a real redis-server) and generated traffic.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# libFuzzer harnesses of the parsers and of the history's stored forms (key filter, visitor
# rows, records) (Fuzz/, a package of its own, so `make test` never builds them), with the
# address sanitizer. Each runs FUZZ_SECONDS from a corpus kept in
# Fuzz/.build/corpus and seeded from the fixtures; a crash stops here, its input saved as
# Fuzz/.build/crashes/<harness>-crash-*. Replay one: Fuzz/.build/debug/<harness> FILE.
FUZZ_SECONDS ?= 60
FUZZERS ?= FuzzAccessLog FuzzLogFormat FuzzNDJSON FuzzURL FuzzUserAgent FuzzGzip FuzzStored
fuzz: deps
	set -o pipefail; cd Fuzz && $(SWIFT) build -c debug -Xswiftc -sanitize=fuzzer,address 2>&1 | grep -v 'Cannot export local symbol'
	Fuzz/seed-corpus.sh Fuzz/.build/corpus
	mkdir -p Fuzz/.build/crashes
	@for f in $(FUZZERS); do \
		echo "== $$f for $(FUZZ_SECONDS) s"; \
		mkdir -p Fuzz/.build/corpus/$$f; \
		Fuzz/.build/debug/$$f -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -print_final_stats=1 \
			-artifact_prefix=Fuzz/.build/crashes/$$f- Fuzz/.build/corpus/$$f Fuzz/.build/corpus/$$f-seed \
			> Fuzz/.build/$$f.log 2>&1 || { tail -n 60 Fuzz/.build/$$f.log; exit 1; }; \
		grep -E '^#[0-9]+.*DONE|^stat::number_of_executed_units' Fuzz/.build/$$f.log; \
	done

# Runs pipelines/demo.yaml on the bundled fixtures with the NDJSON sink and prints the summary.
# Starts from an empty output folder: runs carry history (SPEC 10), so a second run over the
# same day would only write the sessions it changed, which is none.
demo: build
	rm -rf out/demo
	$(BIN) run pipelines/demo.yaml --date 2024-03-01 --progress never
	@echo
	@echo "first sessions of out/demo/sessions.ndjson:"
	@head -n 3 out/demo/sessions.ndjson | cut -c 1-240

# Throughput against zlib's floor and redis-cli --pipe on the same files, each the median of
# BENCH_RUNS (default 3) rounds over every size in BENCH_SIZES (bench/run.sh).
bench: deps
	bash bench/run.sh

# Nightly runs over NIGHTLY_DAYS (default 30) days of M's traffic into one history: a day's
# time and memory as the history grows (bench/nightly.sh).
bench-nightly: deps
	bash bench/nightly.sh

# One visitor who never goes away (a page view every 6 s; HEAVY_COOKIES=0 for one without
# cookies, HEAVY_SESSION_RECORDS=3 for client sessions of 3 records instead of 200) over
# HEAVY_DAYS days: one run over them all, then a run per day (bench/heavy.sh).
bench-heavy: deps
	bash bench/heavy.sh

clean:
	rm -rf .build out
