# ngx-channel: nginx's ngx_channel.c in Rust, at its C ABI.
# `make help` lists the targets.  Every artefact below target/ is a file
# target: `make -j` builds independent ones side by side, a second run
# rebuilds only what changed, and `make -n` builds nothing.

CARGO    ?= cargo
CC       ?= cc
CXX      ?= c++
PYTHON   ?= python3
NPROC    := $(shell nproc 2>/dev/null || echo 2)
VERSION  := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
PREFIX   ?= /usr/local
DESTDIR  ?=

RELEASE  := target/release
LIB_A    := $(RELEASE)/libngx_channel.a
LIB_SO   := $(RELEASE)/libngx_channel.so.$(VERSION)
CT       := target/c_tests
CFLAGS_T := -O2 -g -Wall -Wextra -Werror -Iinclude
# what the library is built from: a change here rebuilds it, and the nginx
# builds that link it
LIB_SRCS := Cargo.toml Cargo.lock build.rs cbindgen.toml scripts/lean-lib.sh \
            $(wildcard src/*.rs src/nginx/*.rs src/nginx/*.c)

CHECKS := fmt-check clippy doc test test-nginx-debug test-upstream-next lib symbols \
          header-fresh header-compile c-tests examples install-test layout-fresh nginx-layout \
          diff diff-valgrind diff-asan nginx-guard nginx-scenarios nginx-load \
          nginx-fdfull footprint dist-test bench-smoke fuzz-slice soak-smoke sanitize

.PHONY: all help deps lib install uninstall header layout check demo nginx diff-report bench \
        compat nginx-tests-full dist dist-test deb deb-test \
        fuzz soak $(CHECKS)

all: lib ## Build the C library (target/release/libngx_channel.{a,so})

help: ## List the targets
	@grep -hE '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | \
	    awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

deps: ## Install missing Debian packages (apt-get, as root)
	@scripts/install-deps.sh

check: deps ## Run everything; ends with "N passed, M failed"
	@MAKE="$(MAKE)" scripts/check.sh $(CHECKS)

# ---- the C library -------------------------------------------------------

lib: $(LIB_A) $(LIB_SO) ## The lean C library (no_std, LTO, four exported symbols)

$(LIB_A): $(LIB_SRCS)
	scripts/lean-lib.sh target

$(LIB_SO): $(LIB_A) ngx_channel.map scripts/link-shared.sh
	scripts/link-shared.sh $(RELEASE) $(VERSION)

install: lib ## Install lib, header, pkg-config file, contract (PREFIX, DESTDIR)
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include \
	    $(DESTDIR)$(PREFIX)/share/doc/ngx-channel
	install -m 0755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libngx_channel.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libngx_channel.so.$(firstword $(subst ., ,$(VERSION)))
	ln -sf libngx_channel.so.$(firstword $(subst ., ,$(VERSION))) $(DESTDIR)$(PREFIX)/lib/libngx_channel.so
	install -m 0644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 include/ngx_channel.h $(DESTDIR)$(PREFIX)/include/
	install -m 0644 docs/CONTRACT.md $(DESTDIR)$(PREFIX)/share/doc/ngx-channel/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
	    -e "s|@LIBS_PRIVATE@|$$(cat $(RELEASE)/native-static-libs)|" ngx_channel.pc.in \
	    >$(DESTDIR)$(PREFIX)/lib/pkgconfig/ngx_channel.pc

uninstall: ## Remove what make install installed (PREFIX, DESTDIR)
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/lib/,libngx_channel.so.$(VERSION) \
	    libngx_channel.so.$(firstword $(subst ., ,$(VERSION))) libngx_channel.so \
	    libngx_channel.a pkgconfig/ngx_channel.pc) \
	    $(DESTDIR)$(PREFIX)/include/ngx_channel.h \
	    $(DESTDIR)$(PREFIX)/share/doc/ngx-channel/CONTRACT.md
	-rmdir $(DESTDIR)$(PREFIX)/share/doc/ngx-channel 2>/dev/null

header: ## Regenerate include/ngx_channel.h with cbindgen
	NGX_CHANNEL_HEADER_OUT=$(CURDIR)/include/ngx_channel.h \
	    $(CARGO) build --no-default-features --features header

# ---- nginx trees and builds ----------------------------------------------
# A tree is a pristine nginx source (scripts/nginx-fetch.sh): target/trees/T.
# A build is a copy of it configured and built one way:
# target/nginx/T/VARIANT, its binary linked as .../binary.  Variants: stock
# (nginx's own ngx_channel.c) and ours (--add-module=addon), each --with-debug
# or plain; ours-upstream is ours --with-debug with the upstream-next feature;
# ours-stripped is ours plain, linked with -s (the guard runs on it as built);
# ours-ccopt is ours plain with --with-cc-opt=-DNGX_DEBUG=1: debug code
# compiled in although configure was not told --with-debug.

NGX_CRATE := nginx-$(shell sed -n '/^name = "nginx-src"/{n;s/.*+\(.*\)"/\1/p;}' \
                 tools/nginx-src/Cargo.lock)
TREE      ?= $(NGX_CRATE)
NGX       := target/nginx/$(TREE)
# every build: the event methods the tests switch between, and the modules
# nginx's own test suite needs for its reload and shutdown tests
NGX_FLAGS ?= --with-poll_module --with-select_module --with-stream --with-mail \
             --with-http_v2_module
VARIANTS  := stock-debug ours-debug stock-plain ours-plain ours-upstream ours-stripped ours-ccopt

flags.stock-debug   := --with-debug
flags.ours-debug    := --with-debug --add-module=$(CURDIR)/addon
flags.stock-plain   :=
flags.ours-plain    := --add-module=$(CURDIR)/addon
flags.ours-upstream := --with-debug --add-module=$(CURDIR)/addon
features.ours-upstream := upstream-next
flags.ours-stripped := --add-module=$(CURDIR)/addon --with-ld-opt=-s
flags.ours-ccopt    := --add-module=$(CURDIR)/addon --with-cc-opt=-DNGX_DEBUG=1
tree_of    = $(firstword $(subst /, ,$(1)))
variant_of = $(notdir $(1))
# what an ours build's configuration depends on beyond the tree, and what
# its build does (a change in the library relinks nginx, no more)
ours_conf  = $(if $(findstring ours,$(call variant_of,$(1))),addon/config addon/config.make)
ours_build = $(if $(findstring ours,$(call variant_of,$(1))),addon/guard.sh $(LIB_SRCS))
# nginx's own build is a make run of its own, -j as many cores (so that
# make -n here does not run it)
NGX_MAKE   := env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -j$(NPROC)

.SECONDEXPANSION:
.PRECIOUS: target/trees/%/origin target/nginx/%.flags target/nginx/%/objs/Makefile target/nginx/%/binary
.PHONY: FORCE

target/trees/%/origin: scripts/nginx-fetch.sh $$(if $$(filter $(NGX_CRATE),$$*),tools/nginx-src/Cargo.lock)
	scripts/nginx-fetch.sh $* target/trees/$*

# A build's configure flags (line 1) and Cargo features (line 2): its
# variant's, NGX_FLAGS, and the tree's own extra flags
# (target/trees/T/extra-flags, which make compat writes when stock does not
# build without it).  Rewritten only when they change: then the build is
# configured again.  (The addon adds upstream-next by itself for a tree
# whose ngx_channel.c has nginx's fd-table fix.)
target/nginx/%.flags: target/trees/$$(call tree_of,$$*)/origin FORCE
	@mkdir -p $(@D)
	@{ echo $(flags.$(notdir $*)) $(NGX_FLAGS) $$(cat target/trees/$(call tree_of,$*)/extra-flags 2>/dev/null); \
	   echo $(features.$(notdir $*)); \
	 } >$@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

target/nginx/%/objs/Makefile: target/nginx/%.flags scripts/nginx-configure.sh $$(call ours_conf,$$*)
	NGX_CHANNEL_FEATURES="$$(sed -n 2p $<)" scripts/nginx-configure.sh \
	    target/trees/$(call tree_of,$*)/src target/nginx/$* $$(sed -n 1p $<)

target/nginx/%/binary: target/nginx/%/objs/Makefile $$(call ours_build,$$*)
	@echo "building nginx in target/nginx/$*"
	@$(NGX_MAKE) -C target/nginx/$* -f objs/Makefile >target/nginx/$*/build.log 2>&1 || \
	    { tail -30 target/nginx/$*/build.log; exit 1; }
	ln -sf $$(scripts/nginx-makefile.sh target/nginx/$* binary) $@
	touch $@ # the binary itself: newer than what it was built from, relinked or not

nginx: $(foreach v,$(VARIANTS),$(NGX)/$(v)/binary) ## Configure and build TREE's nginx every way

# ---- C programs and the header -------------------------------------------

header-fresh: ## include/ngx_channel.h is what cbindgen makes now
	@mkdir -p target/check
	NGX_CHANNEL_HEADER_OUT=$(CURDIR)/target/check/ngx_channel.h \
	    $(CARGO) build --no-default-features --features header
	diff -u include/ngx_channel.h target/check/ngx_channel.h || \
	    { echo "include/ngx_channel.h is stale: run make header"; exit 1; }

header-compile: $(NGX)/ours-plain/objs/Makefile ## The header alone (C99, C11, C++17) and in an nginx TU
	@mkdir -p $(CT)
	$(CC) -std=c99 -pedantic $(CFLAGS_T) c_tests/header_alone.c -c -o $(CT)/h99.o
	$(CC) -std=c11 -pedantic $(CFLAGS_T) c_tests/header_alone.c -c -o $(CT)/h11.o
	$(CXX) -x c++ -std=c++17 -pedantic $(CFLAGS_T) c_tests/header_alone.c -c -o $(CT)/hpp.o
	scripts/header-in-nginx.sh $(NGX)/ours-plain

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

examples: lib ## The master/worker examples: Rust (safe API) and C (header)
	timeout 60 $(CARGO) run --quiet --example master_worker -- 3 30
	@mkdir -p $(CT)
	$(CC) $(CFLAGS_T) examples/master_worker.c -o $(CT)/example_mw.a.bin $(LIB_A)
	$(CC) $(CFLAGS_T) examples/master_worker.c -o $(CT)/example_mw.so.bin \
	    -L$(RELEASE) -Wl,-rpath,$(CURDIR)/$(RELEASE) -lngx_channel
	timeout 60 $(CT)/example_mw.a.bin 4 40
	timeout 60 $(CT)/example_mw.so.bin 2 20

install-test: lib ## make install into a temp prefix: pkg-config builds, soname, versions
	NGX_CHANNEL_VERSION=$(VERSION) scripts/install-test.sh

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

# ---- Rust ----------------------------------------------------------------

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

test-upstream-next: ## cargo test with the read path of nginx's fd-table fix (upstream-next)
	$(CARGO) test --features upstream-next --lib

symbols: lib ## The .so and .a export the four functions only, no panic path
	scripts/check-symbols.sh $(RELEASE)

FUZZ_SECONDS ?= 600

fuzz: ## Fuzz ngx_read_channel with libFuzzer for FUZZ_SECONDS (default 600)
	scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-slice: ## make fuzz, a 45-second slice (what CI runs)
	scripts/fuzz.sh 45

# ---- against nginx: the library for a tree, the differential harness -----

# src/nginx/layout.rs: the layout build.rs measures in the nginx-src tree,
# the library's default (without NGINX_BUILD_DIR), generated and committed
CRATE_LAYOUT := target/nginx/$(NGX_CRATE)/ours-plain/objs/ngx_channel_rs/layout.rs

layout: target/nginx/$(NGX_CRATE)/ours-plain/binary ## Regenerate src/nginx/layout.rs from the nginx-src tree
	cp $(CRATE_LAYOUT) src/nginx/layout.rs

layout-fresh: target/nginx/$(NGX_CRATE)/ours-plain/binary target/nginx/$(NGX_CRATE)/ours-debug/binary ## src/nginx/layout.rs is what nginx-src's nginx measures, plain and debug
	diff -u src/nginx/layout.rs $(CRATE_LAYOUT) || \
	    { echo "src/nginx/layout.rs is not what $(NGX_CRATE) measures: run make layout"; exit 1; }
	diff -u src/nginx/layout.rs $(subst ours-plain,ours-debug,$(CRATE_LAYOUT))

nginx-layout: $(foreach v,ours-plain ours-debug ours-ccopt,$(NGX)/$(v)/binary) ## The library built for TREE: its layout measured, NGX_DEBUG followed (CFLAGS too)
	@mkdir -p $(CT)
	$(foreach v,plain debug ccopt,$(CC) $(CFLAGS_T) c_tests/debug_line.c -o $(CT)/debug_line.$(v) \
	    $(NGX)/ours-$(v)/objs/ngx_channel_rs/release/libngx_channel.a &&) true
	$(CT)/debug_line.plain 0
	$(CT)/debug_line.debug 1
	$(CT)/debug_line.ccopt 1
	@echo "the layout measured in $(TREE):"; cat $(NGX)/ours-plain/objs/ngx_channel_rs/layout.rs | grep const

HARNESS_SRCS := $(wildcard c_tests/diff/*.c)
SANITIZE     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
VALGRIND     := valgrind -q --error-exitcode=1 --child-silent-after-fork=yes \
                --suppressions=$(CURDIR)/c_tests/diff/valgrind.supp

# the harness wraps recvmsg() (c_tests/diff/inject.c), and is told which
# read path ours was built with (the features the addon gave cargo)
HARNESS_LDFLAGS = -Wl,--wrap=recvmsg
harness_cflags  = $$(grep -q 'NGX_CHANNEL_FEATURES=".*upstream-next' \
                    target/nginx/$*/objs/Makefile && echo -DNGX_CHANNEL_UPSTREAM_NEXT=1)

target/harness/%/harness: target/nginx/%/binary $(HARNESS_SRCS) $(wildcard c_tests/diff/*.h) \
        scripts/nginx-program.sh
	@mkdir -p $(@D)
	PROGRAM_LDFLAGS="$(HARNESS_LDFLAGS)" PROGRAM_CFLAGS="$(harness_cflags)" \
	    scripts/nginx-program.sh target/nginx/$* $@ $(HARNESS_SRCS)

target/harness/%/asan/harness: target/nginx/%/binary $(HARNESS_SRCS) \
        $(wildcard c_tests/diff/*.h) scripts/nginx-program.sh
	@mkdir -p $(@D)
	PROGRAM_LDFLAGS="$(HARNESS_LDFLAGS)" PROGRAM_CFLAGS="$(harness_cflags) $(SANITIZE)" \
	    scripts/nginx-program.sh target/nginx/$* $@ $(HARNESS_SRCS)

# Three configurations: TREE's plain and --with-debug builds against its
# own ngx_channel.c, and ours with upstream-next against nginx's own fixed
# ngx_channel.c (UPSTREAM_TREE, nginx's commit c650b3ec5, in NGX_TREES: the
# addon builds ours with upstream-next for it, as that ngx_channel.c reads).
UPSTREAM_TREE ?= nginx-pr1662
UPSTREAM_SRC  := $(firstword $(wildcard $(addsuffix /$(UPSTREAM_TREE).tar.gz,$(NGX_TREES)) \
                   $(addsuffix /$(UPSTREAM_TREE)/src/core/nginx.h,$(NGX_TREES))))
HARNESSES     := target/harness/$(TREE)/ours-plain target/harness/$(TREE)/ours-debug \
                 $(if $(UPSTREAM_SRC),target/harness/$(UPSTREAM_TREE)/ours-debug \
                    target/harness/$(UPSTREAM_TREE)/ours-plain)
UPSTREAM_NOTE := $(if $(UPSTREAM_SRC),,echo "ours with upstream-next against nginx's \
    own fix: not run: no $(UPSTREAM_TREE) tree in NGX_TREES ($(or $(NGX_TREES),unset))" &&)

diff: $(addsuffix /harness,$(HARNESSES)) ## Differential harness, case by case: TREE plain and --with-debug, upstream-next vs nginx's fix
	$(UPSTREAM_NOTE) $(foreach h,$^,$(h) &&) true

diff-valgrind: $(addsuffix /harness,$(HARNESSES)) ## The harness under valgrind memcheck (nginx's H1 read suppressed)
	$(UPSTREAM_NOTE) $(foreach h,$^,HARNESS_VALGRIND=1 $(VALGRIND) $(h) &&) true

diff-asan: $(addsuffix /asan/harness,$(HARNESSES)) ## The harness built with -fsanitize=address,undefined
	$(UPSTREAM_NOTE) $(foreach h,$^,ASAN_OPTIONS=handle_segv=0 $(h) &&) true

diff-report: $(addsuffix /harness,$(HARNESSES)) ## Every harness observation, nginx's C beside ours
	$(foreach h,$^,$(h) -v &&) true

# ---- real nginx ----------------------------------------------------------

VENV   := target/venv
PYTEST  = $(VENV)/bin/pytest -p no:cacheprovider

$(VENV)/bin/pytest: tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@

demo: deps $(NGX)/ours-debug/binary ## nginx on our channel: start, reload, reopen, kill -9, quit
	addon/guard.sh $(NGX)/ours-debug/binary
	timeout 120 $(PYTHON) tests/nginx/demo.py $(NGX)/ours-debug/binary

nginx-guard: $(foreach v,ours-plain ours-debug ours-stripped stock-plain,$(NGX)/$(v)/binary) ## The addon's guard: ours kept (stripped too), stock removed
	scripts/guard-test.sh $(NGX)

nginx-scenarios: $(foreach v,stock-debug ours-debug stock-plain ours-plain,$(NGX)/$(v)/binary) $(VENV)/bin/pytest ## Real nginx master/workers, stock vs ours: epoll, poll, select; debug and plain
	timeout 600 $(PYTEST) tests/nginx/test_scenario.py --nginx-root=$(NGX)

nginx-load: $(NGX)/stock-plain/binary $(NGX)/ours-plain/binary $(VENV)/bin/pytest ## 50 reloads and worker kills under HTTP load, stock vs ours
	timeout 600 $(PYTEST) tests/nginx/test_load.py --nginx-root=$(NGX)

nginx-fdfull: $(NGX)/stock-debug/binary $(NGX)/ours-debug/binary $(NGX)/ours-upstream/binary $(VENV)/bin/pytest $(if $(UPSTREAM_SRC),$(foreach v,stock-debug ours-debug ours-upstream,target/nginx/$(UPSTREAM_TREE)/$(v)/binary)) ## A reload into full fd tables: ours = stock; with nginx's fix the old workers exit
	$(UPSTREAM_NOTE) timeout 600 $(PYTEST) tests/nginx/test_fdfull.py --nginx-root=$(NGX)
	$(if $(UPSTREAM_SRC),timeout 600 $(PYTEST) tests/nginx/test_fdfull.py --nginx-root=target/nginx/$(UPSTREAM_TREE))

footprint: $(foreach v,stock-debug ours-debug stock-plain ours-plain,$(NGX)/$(v)/binary) ## nginx text size and exported symbols, stock vs ours
	scripts/footprint.sh $(NGX)/stock-plain/binary $(NGX)/ours-plain/binary
	scripts/footprint.sh $(NGX)/stock-debug/binary $(NGX)/ours-debug/binary

# ---- nginx's own test suite, every nginx tree ----------------------------
# NGINX_TESTS: nginx's test suite (nginx-tests), a tarball or a directory;
# NGINX_TESTS_2022: the suite as of 2022, for nginx older than 1.19.5 (the
# later suite starts nginx with -e).  .ci/run passes both.  NGX_TREES: where
# make compat finds more nginx trees (see scripts/nginx-fetch.sh).

NGINX_TESTS      ?=
NGINX_TESTS_2022 ?=
SUITE_current     = $(NGINX_TESTS)
SUITE_2022        = $(NGINX_TESTS_2022)

target/nginx-tests/%/README: $$(SUITE_$$*)
	@test -n "$(SUITE_$*)" || { echo "nginx's test suite: set NGINX_TESTS$(if $(filter 2022,$*),_2022) (tarball or directory)"; exit 1; }
	rm -rf $(@D) && mkdir -p $(@D)
	if [ -d "$(SUITE_$*)" ]; then cp -R "$(SUITE_$*)"/. $(@D); \
	else tar xzf "$(SUITE_$*)" -C $(@D) --strip-components=1; fi
	touch $@

nginx-tests-full: $(NGX)/stock-debug/binary $(NGX)/ours-debug/binary target/nginx-tests/current/README $(VENV)/bin/pytest ## nginx's whole test suite on TREE: stock and ours, per file the same
	timeout 2400 $(PYTEST) tests/nginx/test_nginx_suite.py --nginx-root=$(NGX) \
	    --suite=target/nginx-tests/current --suite-files=all

compat: deps $(VENV)/bin/pytest ## Every nginx tree, stock vs ours (NGX_TREES, NGINX_TESTS): writes docs/COMPAT.md
	timeout 3600 $(PYTHON) scripts/compat.py $(COMPAT_TREES)

# ---- for packagers: the release tarball, Debian's package ----------------

DIST      := target/dist/ngx-channel-$(VERSION).tar.gz
DEB_SUITE ?= bookworm

$(DIST): $(wildcard $(shell git ls-files 2>/dev/null)) scripts/dist.sh
	scripts/dist.sh $(VERSION) target/dist

dist: $(DIST) ## The release tarball: sources, Cargo.lock, header, vendored crates (builds offline)

dist-test: $(DIST) target/trees/$(NGX_CRATE)/origin ## nginx with the addon from the tarball, no network (unshare -n), empty CARGO_HOME
	timeout 900 scripts/dist-test.sh $(DIST) target/trees/$(NGX_CRATE)/src

deb: deps $(DIST) target/trees/debian-$(DEB_SUITE)/origin ## Debian's nginx package of DEB_SUITE, rebuilt with the addon (offline): target/deb/
	timeout 2400 scripts/deb-build.sh $(DEB_SUITE) $(CURDIR)/$(DIST) $(CURDIR)/target/deb

deb-test: $(VENV)/bin/pytest ## The rebuilt package beside Debian's own nginx and module packages
	scripts/deb-test.sh $(DEB_SUITE) target/deb

# ---- benchmarks ----------------------------------------------------------

BENCH_BIN := target/bench/$(TREE)/roundtrip
BENCH_RUN  = PYTHONPATH=tests/nginx $(VENV)/bin/python bench/bench.py --binary $(BENCH_BIN) \
             --stock $(NGX)/stock-plain/binary --ours $(NGX)/ours-plain/binary

$(BENCH_BIN): $(NGX)/ours-plain/binary bench/roundtrip.c scripts/nginx-program.sh
	@mkdir -p $(@D)
	scripts/nginx-program.sh $(NGX)/ours-plain $@ bench/roundtrip.c

bench: deps $(BENCH_BIN) $(NGX)/stock-plain/binary $(VENV)/bin/pytest ## Benchmarks: ours vs nginx's C vs raw syscalls; writes bench/
	$(BENCH_RUN) --out bench

bench-smoke: $(BENCH_BIN) $(NGX)/stock-plain/binary $(VENV)/bin/pytest ## make bench in miniature (seconds, no timing assertions)
	$(BENCH_RUN) --out target/bench/smoke --smoke
