# funnel: build, test and demo on a fresh Debian machine. Every target installs what it needs.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := zlib1g-dev libhiredis-dev libsqlite3-dev redis-server redis-tools gzip libmaxminddb-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := .build/debug/funnel

.PHONY: all deps build release test demo clean

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

# Runs pipelines/demo.yaml on the bundled fixtures with the NDJSON sink and prints the summary.
# Starts from an empty output folder: runs carry history (SPEC 10), so a second run over the
# same day would only write the sessions it changed, which is none.
demo: build
	rm -rf out/demo
	$(BIN) run pipelines/demo.yaml --date 2024-03-01 --progress never
	@echo
	@echo "first sessions of out/demo/sessions.ndjson:"
	@head -n 3 out/demo/sessions.ndjson | cut -c 1-240

clean:
	rm -rf .build out
