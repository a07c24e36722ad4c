# Lepton: build, test, demo and benchmark on Debian 12 with Swift 6.
#
#   make deps      check (and, as root, install) the system packages the build and scripts need
#   make build     debug build
#   make release   optimised build; prints the binaries and their sizes
#   make install-agent      release build, then (as root) scripts/install-agent.sh with ARGS, e.g.
#                           ARGS="--id edge-17 --collector c.example:7443 --ca ca.pem --cert a.pem --key a-key.pem"
#   make install-collector  release build, then (as root) scripts/install-collector.sh with ARGS
#                           (ARGS="--help" lists the options: --dry-run, --uninstall, --purge, --root DIR, …)
#   make test      build and run every test (beside a throwaway PostgreSQL server: scripts/with-postgres.sh)
#   make demo      collector + agent on loopback with live data (Ctrl-C stops)
#   make bench     end-to-end benchmark on loopback (LINES=1000000 by default), then the agent's memory
#                  with a full spool and no collector (SPOOL=256MiB by default), then the columnar codec's bytes per
#                  sample and speed (lepton-bench codec), and the collector's stores, SQLite and a throwaway
#                  PostgreSQL server (lepton-bench store)
#   make bench-fleet  lepton-bench fleet: 1,000 simulated agents against a throttled collector (fairness, weights,
#                  a 10,000-agent reconnect storm, adaptive fidelity), then the real agent's fidelity ladder
#                  under a 10x cut (lepton-bench edge-fidelity) and a critical source behind a bulk backlog, with
#                  and without priority (lepton-bench edge-priority)
#   make reliability  run the fault tests and regenerate docs/reliability.md from their counts
#   make soak      the fault tests five times over (SOAK_ROUNDS=5)
#   make lint      swift format lint --strict
#   make clean     remove .build, .demo and .bench

SWIFT ?= swift

# Use the toolchain in /opt/swift when `swift` is not on PATH.
ifeq ($(shell command -v $(SWIFT) 2>/dev/null),)
  ifneq ($(wildcard /opt/swift/usr/bin/swift),)
    export PATH := /opt/swift/usr/bin:$(PATH)
  endif
endif

# zlib (compress-nio), SQLite (GRDB), OpenSSL headers; curl and python3 for scripts/demo.sh and scripts/bench-e2e.sh;
# systemd for systemd-analyze, which SystemdUnitTests runs on the units in systemd/ (verify, security exposure);
# binutils for strip (make release); libyaml-dev for the configuration loader (linked statically); chromium for
# StatusPageTests, which load the collector's status page in headless Chromium.
DEB_PACKAGES := zlib1g-dev libsqlite3-dev libssl-dev curl python3 systemd binutils libyaml-dev chromium
# The tests also need PostgreSQL's server programs: scripts/with-postgres.sh runs them beside a throwaway cluster.
TEST_DEB_PACKAGES := postgresql

# SwiftPM links .build/release to the platform's release folder.
RELEASE_BIN := .build/release
# Stripped copies of the release binaries, ready to install on an edge box.
DIST_DIR := .build/dist

.DEFAULT_GOAL := build
.PHONY: deps build release install-agent install-collector test demo bench bench-fleet reliability soak lint clean

deps:
	@missing=""; \
	if command -v dpkg >/dev/null 2>&1; then \
		for p in $(DEB_PACKAGES) $(EXTRA_DEB_PACKAGES); do \
			dpkg -s "$$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; \
		done; \
	else \
		echo "deps: dpkg not found (not Debian?); make sure these are installed: $(DEB_PACKAGES)"; \
	fi; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "deps: installing$$missing"; \
			apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing \
				|| exit 1; \
		else \
			echo "deps: missing packages:$$missing" >&2; \
			echo "deps: install them with:" >&2; \
			echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends$$missing" >&2; \
			exit 1; \
		fi; \
	fi; \
	if ! command -v $(SWIFT) >/dev/null 2>&1; then \
		echo "deps: '$(SWIFT)' not found on PATH (also looked in /opt/swift/usr/bin)." >&2; \
		echo "deps: install Swift 6 (https://www.swift.org/install/linux/) and add its usr/bin to PATH," >&2; \
		echo "      e.g. export PATH=/opt/swift/usr/bin:\$$PATH, or run make SWIFT=/path/to/swift" >&2; \
		exit 1; \
	fi

build: deps
	$(SWIFT) build

release: deps
	@# One product at a time: GRDB's dynamic library product cannot link against a static Swift runtime.
	for p in lepton-agent lepton-collector lepton-bench; do \
		$(SWIFT) build -c release --static-swift-stdlib --product $$p || exit 1; \
	done
	@# The agent links FoundationEssentials only; ICU's data (34 MB) in it means a module imports Foundation.
	@if nm $(RELEASE_BIN)/lepton-agent | grep -q ' icudt[0-9]*_dat$$'; then \
		echo "release: lepton-agent links ICU: a module it links imports Foundation (docs/benchmarks.md)" >&2; \
		exit 1; \
	fi
	@mkdir -p $(DIST_DIR); \
	echo "release binaries (Swift runtime linked in, stripped) in $(DIST_DIR):"; \
	for b in lepton-agent lepton-collector; do \
		strip -o "$(DIST_DIR)/$$b" "$(RELEASE_BIN)/$$b" || exit 1; \
		printf '  %-30s %s (unstripped %s)\n' "$(DIST_DIR)/$$b" \
			"$$(du -h "$(DIST_DIR)/$$b" | cut -f1)" "$$(du -h "$(RELEASE_BIN)/$$b" | cut -f1)"; \
	done; \
	echo "shared libraries they still load (see docs/operations.md for the Debian packages):"; \
	ldd "$(DIST_DIR)/lepton-agent" "$(DIST_DIR)/lepton-collector" | sed 's/ (0x[0-9a-f]*)//'

# Install on this host (as root) the binaries `release` wrote to $(DIST_DIR); see docs/operations.md.
install-agent: release
	bash scripts/install-agent.sh --binary $(DIST_DIR)/lepton-agent $(ARGS)

install-collector: release
	bash scripts/install-collector.sh --binary $(DIST_DIR)/lepton-collector $(ARGS)

test: deps
	@$(MAKE) --no-print-directory deps EXTRA_DEB_PACKAGES="$(TEST_DEB_PACKAGES)"
	$(SWIFT) build --build-tests
	bash scripts/with-postgres.sh $(SWIFT) test --skip-build

demo: release
	BIN_DIR=$(RELEASE_BIN) bash scripts/demo.sh

bench: release
	BIN_DIR=$(RELEASE_BIN) bash scripts/bench-e2e.sh
	BIN_DIR=$(RELEASE_BIN) bash scripts/bench-spool.sh
	$(RELEASE_BIN)/lepton-bench codec
	$(RELEASE_BIN)/lepton-bench pipeline
	$(RELEASE_BIN)/lepton-bench store
	@$(MAKE) --no-print-directory deps EXTRA_DEB_PACKAGES="$(TEST_DEB_PACKAGES)"
	WITH_POSTGRES_DURABLE=1 bash scripts/with-postgres.sh sh -c \
		'$(RELEASE_BIN)/lepton-bench store --postgres "$$LEPTON_TEST_POSTGRES_URL" --writers 4'

# Backpressure with simulated agents against a throttled collector (docs/benchmarks.md, "Backpressure"); ~20 min.
bench-fleet: release
	$(RELEASE_BIN)/lepton-bench fleet fair --phase 60
	$(RELEASE_BIN)/lepton-bench fleet weighted --agents 60 --rate 2000 --phase 40
	$(RELEASE_BIN)/lepton-bench fleet fidelity --agents 200 --phase 60
	$(RELEASE_BIN)/lepton-bench fleet storm
	$(RELEASE_BIN)/lepton-bench edge-fidelity
	$(RELEASE_BIN)/lepton-bench edge-fidelity --capacity 0.01
	$(RELEASE_BIN)/lepton-bench edge-priority
	$(RELEASE_BIN)/lepton-bench edge-priority --alarm-priority 0

# The fault-test suites (Tests/LeptonIntegrationTests/Faults); each run records its counts for the report.
FAULT_SUITES := CollectorKillTests|AgentKillTests|NetworkFaultTests|SpoolDamageTests|SpoolFullTests|StorageFaultTests|CollectorFailoverTests
SOAK_ROUNDS ?= 5

reliability: deps
	@$(MAKE) --no-print-directory deps EXTRA_DEB_PACKAGES="$(TEST_DEB_PACKAGES)"
	rm -rf .build/reliability
	$(SWIFT) build --build-tests
	LEPTON_RELIABILITY_DIR=$(CURDIR)/.build/reliability LEPTON_RELIABILITY_DOC=$(CURDIR)/docs/reliability.md \
		bash scripts/with-postgres.sh $(SWIFT) test --skip-build --filter '$(FAULT_SUITES)'

soak: deps
	@$(MAKE) --no-print-directory deps EXTRA_DEB_PACKAGES="$(TEST_DEB_PACKAGES)"
	$(SWIFT) build --build-tests
	for round in $$(seq 1 $(SOAK_ROUNDS)); do \
		echo "soak: round $$round of $(SOAK_ROUNDS)"; \
		LEPTON_RELIABILITY_DIR=$(CURDIR)/.build/soak bash scripts/with-postgres.sh \
			$(SWIFT) test --skip-build --filter '$(FAULT_SUITES)' || exit 1; \
	done

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests

clean:
	rm -rf .build .demo .bench
