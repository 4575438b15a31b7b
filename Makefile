# ngx-channel: nginx's ngx_channel.c in Rust, at its C ABI.
# `make help` lists the targets.

CARGO     ?= cargo
CC        ?= cc
CXX       ?= c++
RELEASE   := target/release
LIB_A     := $(RELEASE)/libngx_channel.a
LIB_SO    := $(RELEASE)/libngx_channel.so
CT        := target/c_tests
CFLAGS_T  := -O2 -g -Wall -Wextra -Werror -Iinclude
# The C library is the no_std build with LTO, as staticlib and cdylib only:
# with an rlib among the crate types cargo skips LTO and the archive keeps
# every Rust symbol global (nginx's -Wl,-E would export them all).
LEAN      := rustc --release --lib --no-default-features \
             --crate-type staticlib --crate-type cdylib

CHECKS := fmt-check clippy doc test test-nginx-debug test-upstream-next lib symbols header-fresh \
          header-compile c-tests examples install-test nginx-layout diff diff-valgrind diff-asan \
          nginx-guard nginx-scenarios nginx-load nginx-fdfull footprint bench-smoke \
          fuzz-slice soak-smoke sanitize

.PHONY: all help deps lib install uninstall header check demo diff-report nginx bench \
        fuzz soak $(CHECKS)

all: lib ## Build the C library (target/release/libngx_channel.{a,so})

help: ## List the targets
	@grep -hE '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | \
	    awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
PREFIX  ?= /usr/local
DESTDIR ?=

lib: ## Build the lean C library (no_std, LTO, four exported symbols)
	@mkdir -p $(RELEASE)
	$(CARGO) $(LEAN) -- --print native-static-libs 2>$(RELEASE)/lean-build.log || \
	    { cat $(RELEASE)/lean-build.log; exit 1; }
	sed -n 's/.*native-static-libs: //p' $(RELEASE)/lean-build.log >$(RELEASE)/native-static-libs
	scripts/link-shared.sh $(RELEASE) $(VERSION)

install: lib ## Install lib, header, pkg-config file (PREFIX, DESTDIR)
	scripts/install.sh install $(PREFIX) $(DESTDIR)

uninstall: ## Remove what make install installed (PREFIX, DESTDIR)
	scripts/install.sh uninstall $(PREFIX) $(DESTDIR)

header: ## Regenerate include/ngx_channel.h with cbindgen
	NGX_CHANNEL_HEADER_OUT=$(CURDIR)/include/ngx_channel.h $(CARGO) build --no-default-features --features header

deps: ## Install missing Debian packages (apt-get, as root)
	@scripts/install-deps.sh

check: deps ## Run everything; ends with "N passed, M failed"
	@scripts/check.sh $(CHECKS)

demo: deps ## nginx 1.28.3 on our channel: start, reload, reopen, kill -9, quit
	@echo "building nginx 1.28.3 --with-debug with ngx-channel (--add-module=addon)..."
	@scripts/nginx-build.sh ours-debug --with-debug $(NGX_FLAGS) --add-module=$(CURDIR)/addon >/dev/null
	@addon/guard.sh target/nginx/ours-debug/objs/nginx
	@timeout 120 python3 tests/nginx/scenario.py target/nginx/ours-debug/objs/nginx --report

fmt-check: ## rustfmt --check
	$(CARGO) fmt --all -- --check

clippy: ## clippy -D warnings, with std and as the no_std C library
	$(CARGO) clippy --all-targets --all-features -- -D warnings
	$(CARGO) clippy --lib --no-default-features -- -D warnings

doc: ## rustdoc builds without a warning
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --quiet

test: ## cargo test: unit tests over socketpairs, with nginx test doubles
	$(CARGO) test

test-nginx-debug: ## cargo test as built for an nginx configured --with-debug
	$(CARGO) test --features nginx-debug --lib

test-upstream-next: ## The upstream-next feature's read path (nginx >= 1.31.5)
	$(CARGO) test --features upstream-next --lib tests::upstream

symbols: lib ## The .so and .a export the four functions only, no panic path
	scripts/check-symbols.sh $(RELEASE)

header-fresh: ## include/ngx_channel.h is what cbindgen makes now
	@mkdir -p target/check
	NGX_CHANNEL_HEADER_OUT=$(CURDIR)/target/check/ngx_channel.h $(CARGO) build --no-default-features --features header
	diff -u include/ngx_channel.h target/check/ngx_channel.h || \
	    { echo "include/ngx_channel.h is stale: run make header"; exit 1; }

NGX_FLAGS      = --with-poll_module --with-select_module
NGX_DEBUG_OBJS = $(shell scripts/nginx-configure.sh debug --with-debug $(NGX_FLAGS))
NGX_PLAIN_OBJS = $(shell scripts/nginx-configure.sh plain $(NGX_FLAGS))
# the same trees, built (make is incremental: later runs reuse the objects)
NGX_DEBUG_BUILT = $(shell scripts/nginx-build.sh debug --with-debug $(NGX_FLAGS))
NGX_PLAIN_BUILT = $(shell scripts/nginx-build.sh plain $(NGX_FLAGS))
# the same source and flags with ngx-channel in place of ngx_channel.c
OURS_DEBUG_BUILT = $(shell scripts/nginx-build.sh ours-debug --with-debug $(NGX_FLAGS) --add-module=$(CURDIR)/addon)
OURS_PLAIN_BUILT = $(shell scripts/nginx-build.sh ours-plain $(NGX_FLAGS) --add-module=$(CURDIR)/addon)
OURS_UPSTREAM_BUILT = $(shell NGX_CHANNEL_FEATURES=upstream-next scripts/nginx-build.sh \
    ours-upstream --with-debug $(NGX_FLAGS) --add-module=$(CURDIR)/addon)
COMPARE = timeout 300 python3 tests/nginx/compare.py
VALGRIND = valgrind -q --error-exitcode=1 --child-silent-after-fork=yes \
           --suppressions=$(CURDIR)/c_tests/diff/valgrind.supp
SANITIZE = -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=all

header-compile: ## The header alone (C99, C11, C++17) and in an nginx TU
	@mkdir -p $(CT)
	$(CC) -std=c99 -pedantic $(CFLAGS_T) c_tests/header_alone.c -c -o $(CT)/h99.o
	$(CC) -std=c11 -pedantic $(CFLAGS_T) c_tests/header_alone.c -c -o $(CT)/h11.o
	$(CXX) -x c++ -std=c++17 -pedantic $(CFLAGS_T) c_tests/header_alone.c -c -o $(CT)/hpp.o
	scripts/header-in-nginx.sh $(NGX_PLAIN_OBJS)
	scripts/header-in-nginx.sh $(NGX_DEBUG_OBJS)

c-tests: lib ## C programs without nginx, against the .so and the .a
	@mkdir -p $(CT)
	$(CC) $(CFLAGS_T) c_tests/master_worker.c -o $(CT)/master_worker.so.bin \
	    -L$(RELEASE) -Wl,-rpath,$(CURDIR)/$(RELEASE) -lngx_channel
	$(CC) $(CFLAGS_T) c_tests/master_worker.c -o $(CT)/master_worker.a.bin $(LIB_A)
	$(CC) $(CFLAGS_T) c_tests/fallback_log.c -o $(CT)/fallback_log.so.bin \
	    -L$(RELEASE) -Wl,-rpath,$(CURDIR)/$(RELEASE) -lngx_channel
	$(CC) $(CFLAGS_T) c_tests/fallback_log.c -o $(CT)/fallback_log.a.bin $(LIB_A)
	ldd $(CT)/master_worker.so.bin | grep -q libngx_channel.so
	! ldd $(CT)/master_worker.a.bin | grep -q libngx_channel.so
	timeout 60 $(CT)/master_worker.so.bin
	timeout 60 $(CT)/master_worker.a.bin
	timeout 60 $(CT)/fallback_log.so.bin
	timeout 60 $(CT)/fallback_log.a.bin

install-test: lib ## make install into a temp prefix: pkg-config builds, soname, versions
	scripts/install-test.sh

examples: lib ## The master/worker examples: Rust (safe API) and C (header)
	timeout 60 $(CARGO) run --quiet --example master_worker -- 3 30
	@mkdir -p $(CT)
	$(CC) $(CFLAGS_T) examples/master_worker.c -o $(CT)/example_mw.a.bin $(LIB_A)
	$(CC) $(CFLAGS_T) examples/master_worker.c -o $(CT)/example_mw.so.bin \
	    -L$(RELEASE) -Wl,-rpath,$(CURDIR)/$(RELEASE) -lngx_channel
	timeout 60 $(CT)/example_mw.a.bin 4 40
	timeout 60 $(CT)/example_mw.so.bin 2 20

nginx-layout: ## build.rs against configured nginx trees: layout check, NGX_DEBUG
	scripts/nginx-layout.sh $(NGX_PLAIN_OBJS) 0
	scripts/nginx-layout.sh $(NGX_DEBUG_OBJS) 1

nginx: ## Configure and build nginx 1.28.3 twice (plain, --with-debug)
	@echo $(NGX_PLAIN_BUILT)
	@echo $(NGX_DEBUG_BUILT)

diff: ## Differential harness: nginx's C vs ours, case by case, both builds
	scripts/diff-harness.sh $(NGX_PLAIN_BUILT)
	scripts/diff-harness.sh $(NGX_DEBUG_BUILT)

diff-valgrind: ## The harness under valgrind memcheck (nginx's H1 read suppressed)
	HARNESS_FLAVOUR=valgrind HARNESS_WRAP="$(VALGRIND)" HARNESS_VALGRIND=1 \
	    scripts/diff-harness.sh $(NGX_PLAIN_BUILT)
	HARNESS_FLAVOUR=valgrind HARNESS_WRAP="$(VALGRIND)" HARNESS_VALGRIND=1 \
	    scripts/diff-harness.sh $(NGX_DEBUG_BUILT)

diff-asan: ## The harness built with -fsanitize=address,undefined
	HARNESS_FLAVOUR=asan HARNESS_CFLAGS="$(SANITIZE)" ASAN_OPTIONS=handle_segv=0 \
	    scripts/diff-harness.sh $(NGX_PLAIN_BUILT)
	HARNESS_FLAVOUR=asan HARNESS_CFLAGS="$(SANITIZE)" ASAN_OPTIONS=handle_segv=0 \
	    scripts/diff-harness.sh $(NGX_DEBUG_BUILT)

diff-report: ## Every harness observation, nginx's C beside ours
	scripts/diff-harness.sh $(NGX_PLAIN_BUILT) -v
	scripts/diff-harness.sh $(NGX_DEBUG_BUILT) -v

nginx-guard: ## The addon's guard passes on ours and rejects nginx's own C
	addon/guard.sh $(OURS_DEBUG_BUILT)/nginx
	addon/guard.sh $(OURS_PLAIN_BUILT)/nginx
	cp $(NGX_PLAIN_BUILT)/nginx target/stock-nginx-copy
	! addon/guard.sh target/stock-nginx-copy
	test ! -e target/stock-nginx-copy

nginx-scenarios: ## Real nginx master/workers, stock vs ours: epoll, poll, select, non-debug
	$(COMPARE) $(NGX_DEBUG_BUILT)/nginx $(OURS_DEBUG_BUILT)/nginx --use epoll --debug 1
	$(COMPARE) $(NGX_DEBUG_BUILT)/nginx $(OURS_DEBUG_BUILT)/nginx --use poll --debug 1
	$(COMPARE) $(NGX_DEBUG_BUILT)/nginx $(OURS_DEBUG_BUILT)/nginx --use select --debug 1
	$(COMPARE) $(NGX_PLAIN_BUILT)/nginx $(OURS_PLAIN_BUILT)/nginx --use epoll --debug 0

nginx-load: ## 50 reloads and worker kills under HTTP load, stock vs ours
	$(COMPARE) $(NGX_PLAIN_BUILT)/nginx $(OURS_PLAIN_BUILT)/nginx --use epoll --debug 0 --load 50

nginx-fdfull: ## A reload into full fd tables: stock = ours; upstream-next exits cleanly
	timeout 300 python3 tests/nginx/fdfull.py $(NGX_DEBUG_BUILT)/nginx \
	    $(OURS_DEBUG_BUILT)/nginx $(OURS_UPSTREAM_BUILT)/nginx

footprint: ## nginx text size and exported symbols, stock vs ours
	scripts/footprint.sh $(NGX_PLAIN_BUILT)/nginx $(OURS_PLAIN_BUILT)/nginx
	scripts/footprint.sh $(NGX_DEBUG_BUILT)/nginx $(OURS_DEBUG_BUILT)/nginx

BENCH_BIN = target/bench/roundtrip
BENCH_RUN = python3 bench/bench.py --binary $(BENCH_BIN) \
            --stock $(NGX_PLAIN_BUILT)/nginx --ours $(OURS_PLAIN_BUILT)/nginx

bench: deps ## Benchmarks: ours vs nginx's C vs raw syscalls; writes bench/
	scripts/bench-build.sh $(NGX_PLAIN_BUILT) $(CURDIR)/$(BENCH_BIN)
	$(BENCH_RUN) --out bench

bench-smoke: ## make bench in miniature (seconds, no timing assertions)
	scripts/bench-build.sh $(NGX_PLAIN_BUILT) $(CURDIR)/$(BENCH_BIN)
	$(BENCH_RUN) --out target/bench/smoke --smoke

FUZZ_SECONDS ?= 600

fuzz: ## Fuzz ngx_read_channel with libFuzzer for FUZZ_SECONDS (default 600)
	scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-slice: ## make fuzz, a 45-second slice (what CI runs)
	scripts/fuzz.sh 45

soak: lib ## Two processes exchange 1,000,000 messages: fds and RSS constant
	@mkdir -p $(CT)
	$(CC) $(CFLAGS_T) c_tests/soak.c -o $(CT)/soak $(LIB_A)
	timeout 300 $(CT)/soak 1000000

soak-smoke: lib ## make soak with 100,000 messages
	@mkdir -p $(CT)
	$(CC) $(CFLAGS_T) c_tests/soak.c -o $(CT)/soak $(LIB_A)
	timeout 120 $(CT)/soak 100000

sanitize: lib ## Rust tests and C programs under valgrind; C programs with ASan+UBSan
	scripts/sanitize.sh
