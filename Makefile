# ngx-channel: nginx's ngx_channel.c in Rust, at its C ABI.
# `make help` lists the targets.  Every artefact below target/ is a file
# target: `make -j` builds independent ones side by side, a second run
# rebuilds only what changed, and `make -n` builds nothing.

CARGO    ?= cargo
CC       ?= cc
PYTHON   ?= python3
NPROC    := $(shell nproc 2>/dev/null || echo 2)
VERSION  := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
DIST     := target/dist/ngx-channel-$(VERSION).tar.gz
PREFIX   ?= /usr/local
DESTDIR  ?=
# ARCH: another CPU, by its GNU (i686, aarch64) or Debian name (i386, arm64):
# make lib and make cpu-check build in its trixie root (target/roots)
ARCH     ?=
DEB_ARCH := $(patsubst i686,i386,$(patsubst aarch64,arm64,$(ARCH)))
ROOT     := target/roots/$(DEB_ARCH)
triple.i386  := i686-unknown-linux-gnu
triple.arm64 := aarch64-unknown-linux-gnu

# cargo's layout: target/TRIPLE/release for CARGO_BUILD_TARGET=TRIPLE
RELEASE  := target/$(if $(CARGO_BUILD_TARGET),$(CARGO_BUILD_TARGET)/)release
LIB_A    := $(RELEASE)/libngx_channel.a
LIB_SO   := $(RELEASE)/libngx_channel.so.$(VERSION)
# what the library is built from: a change here rebuilds it, and the nginx
# builds that link it
LIB_SRCS := Cargo.toml Cargo.lock build.rs cbindgen.toml scripts/lean-lib.sh \
            $(wildcard src/*.rs src/nginx/*.rs src/nginx/*.c src/nginx/*.layout)

.PHONY: all help deps lib install uninstall header layout check demo nginx diff bench \
        bench-smoke compat cpu-check nginx-tests-full dist deb deb-test fuzz fuzz-diff soak

all: lib ## Build the C library (target/release/libngx_channel.{a,so})

help: ## List the targets
	@grep -hE '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | \
	    awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

deps: ## Install missing Debian packages (apt-get, as root)
	@scripts/install-deps.sh

# ---- the C library -------------------------------------------------------

ifeq ($(ARCH),)
lib: $(LIB_A) $(LIB_SO) ## The lean C library (no_std, LTO, four exported symbols); ARCH=i686|aarch64: for that CPU
	@# (a cargo build of its own may have left its unversioned .so there)
	@ln -sf libngx_channel.so.$(firstword $(subst ., ,$(VERSION))) $(RELEASE)/libngx_channel.so
else
# built in ARCH's trixie root from the release tarball, copied out
lib: deps $(ROOT)/.made $(DIST)
	scripts/cpu-check.sh lib $(DEB_ARCH) $(DIST) target/$(triple.$(DEB_ARCH))/release
endif

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
# variant's and NGX_FLAGS.  Rewritten only when they change: then the build
# is configured again.  (The addon adds upstream-next by itself for a tree
# whose ngx_channel.c has nginx's fd-table fix.)
target/nginx/%.flags: target/trees/$$(call tree_of,$$*)/origin FORCE
	@mkdir -p $(@D)
	@{ echo $(flags.$(notdir $*)) $(NGX_FLAGS); echo $(features.$(notdir $*)); } >$@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

target/nginx/%/objs/Makefile: target/nginx/%.flags scripts/nginx-configure.sh $$(call ours_conf,$$*)
	NGX_CHANNEL_FEATURES="$$(sed -n 2p $<)" scripts/nginx-configure.sh \
	    target/trees/$(call tree_of,$*)/src target/nginx/$* $$(sed -n 1p $<)

target/nginx/%/binary: target/nginx/%/objs/Makefile $$(call ours_build,$$*)
	@echo "building nginx in target/nginx/$*"
	@$(NGX_MAKE) -C target/nginx/$* -f objs/Makefile >target/nginx/$*/build.log 2>&1 || \
	    { tail -30 target/nginx/$*/build.log; exit 1; }
	@# the binary: the one executable the build wrote in objs/ (objs/nginx;
	@# objs/angie in Angie)
	ln -sf $$(cd target/nginx/$* && find objs -maxdepth 1 -type f -perm -u+x ! -name '*.so') $@
	touch $@ # the binary itself: newer than what it was built from, relinked or not

nginx: $(foreach v,$(VARIANTS),$(NGX)/$(v)/binary) ## Configure and build TREE's nginx every way

# ---- long runs ----------------------------------------------------------

soak: lib ## Two processes exchange 1,000,000 messages: fds and RSS constant
	@mkdir -p target/c_tests
	$(CC) -O2 -g -Wall -Wextra -Werror -Iinclude c_tests/soak.c -o target/c_tests/soak $(LIB_A)
	timeout 300 target/c_tests/soak 1000000

FUZZ_SECONDS ?= 600

fuzz: ## Fuzz ngx_read_channel with libFuzzer for FUZZ_SECONDS (default 600)
	scripts/fuzz.sh $(FUZZ_SECONDS)

# ---- against nginx: the library for a tree, the differential harness -----

# src/nginx/nginx-1.28.3.layout: the layout build.rs measures in the
# nginx-src tree (the layout lines of its record), the library's default
# without NGINX_BUILD_DIR; committed, and a test fails when it is stale
layout: target/nginx/$(NGX_CRATE)/ours-plain/binary ## Rewrite the default layout from the nginx-src tree
	{ grep '^#' src/nginx/nginx-1.28.3.layout; grep ' # ' \
	    target/nginx/$(NGX_CRATE)/ours-plain/objs/ngx_channel_rs/build.env; } >$@.new
	mv $@.new src/nginx/nginx-1.28.3.layout

HARNESS_SRCS := $(wildcard c_tests/diff/*.c)
SANITIZE     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# the harness wraps recvmsg() (c_tests/diff/inject.c)
HARNESS_LDFLAGS = -Wl,--wrap=recvmsg

target/harness/%/harness: target/nginx/%/binary $(HARNESS_SRCS) $(wildcard c_tests/diff/*.h) \
        scripts/nginx-program.sh
	@mkdir -p $(@D)
	PROGRAM_LDFLAGS="$(HARNESS_LDFLAGS)" scripts/nginx-program.sh target/nginx/$* $@ $(HARNESS_SRCS)

target/harness/%/asan/harness: target/nginx/%/binary $(HARNESS_SRCS) \
        $(wildcard c_tests/diff/*.h) scripts/nginx-program.sh
	@mkdir -p $(@D)
	PROGRAM_LDFLAGS="$(HARNESS_LDFLAGS)" PROGRAM_CFLAGS="$(SANITIZE)" \
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

diff: deps $(VENV)/bin/pytest $(foreach h,$(HARNESSES),$(h)/harness $(h)/asan/harness) ## The differential harness: TREE plain and --with-debug, upstream-next vs nginx's fix; valgrind, ASan
	$(PYTEST) tests/test_nginx_build.py -k harness --trees=$(TREE) --upstream-tree=$(UPSTREAM_TREE)

diff-report: $(addsuffix /harness,$(HARNESSES)) ## Every harness observation, nginx's C beside ours
	$(foreach h,$^,$(h) -v &&) true

# ---- differential fuzzing against nginx's C ------------------------------
# c_tests/fuzz_diff.c against an nginx build's own ngx_channel.c, three
# builds each (nginx's C with -fsanitize-coverage=trace-pc in all): fuzz/,
# asan/ (ASan and UBSan on nginx's C and the driver), cov/ (gcov); for
# TREE and, with NGX_TREES, nginx's fd-table fix (upstream-next), plain
# and --with-debug.
# scripts/fuzz-diff.sh runs them (FUZZ_DIFF_UPDATE=1: the minimised corpus
# becomes fuzz/diff-corpus/).

FUZZ_DIFF_SECONDS ?= 600
FUZZ_DIFF_DIRS := $(foreach t,$(TREE) $(if $(UPSTREAM_SRC),$(UPSTREAM_TREE)), \
                    target/fuzz-diff/$(t)/ours-plain target/fuzz-diff/$(t)/ours-debug)
FUZZ_DIFF_BINS := $(foreach d,$(FUZZ_DIFF_DIRS),$(d)/fuzz/fuzz_diff $(d)/asan/fuzz_diff $(d)/cov/fuzz_diff)
build_of        = $(patsubst %/,%,$(dir $(1)))
fuzz_diff.fuzz := REF_CFLAGS=-fsanitize-coverage=trace-pc
fuzz_diff.asan := REF_CFLAGS="-fsanitize-coverage=trace-pc $(SANITIZE)" PROGRAM_CFLAGS="$(SANITIZE)"
fuzz_diff.cov  := REF_CFLAGS="-fsanitize-coverage=trace-pc --coverage"

target/fuzz-diff/%/fuzz_diff: target/nginx/$$(call build_of,$$*)/binary c_tests/fuzz_diff.c \
        scripts/nginx-program.sh
	@mkdir -p $(@D)
	$(fuzz_diff.$(notdir $*)) PROGRAM_LDFLAGS="-Wl,--wrap=recvmsg -Wl,--wrap=sendmsg \
	    $(if $(filter cov,$(notdir $*)),--coverage)" \
	    scripts/nginx-program.sh target/nginx/$(call build_of,$*) $@ c_tests/fuzz_diff.c

fuzz-diff: deps $(FUZZ_DIFF_BINS) ## Differential fuzzing against nginx's C for FUZZ_DIFF_SECONDS (600)
	scripts/fuzz-diff.sh $(FUZZ_DIFF_SECONDS) $(addprefix $(CURDIR)/,$(FUZZ_DIFF_DIRS))

# ---- real nginx ----------------------------------------------------------

VENV   := target/venv
PYTEST  = $(VENV)/bin/pytest -p no:cacheprovider

$(VENV)/bin/pytest: tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@

demo: deps $(NGX)/ours-debug/binary ## nginx on our channel: start, reload, reopen, kill -9, quit
	addon/guard.sh $(NGX)/ours-debug/binary
	timeout 120 $(PYTHON) tests/demo.py $(NGX)/ours-debug/binary

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

SUITES = --suite=target/nginx-tests/current $(if $(NGINX_TESTS_2022),--suite-2022=target/nginx-tests/2022)

nginx-tests-full: deps $(VENV)/bin/pytest target/nginx-tests/current/README ## nginx's whole test suite on TREE: stock and ours, per file the same
	timeout 3000 $(PYTEST) tests/test_nginx_suite.py -k whole_suite --trees=$(TREE) \
	    --full-suite=$(TREE) $(SUITES)

# every tree: nginx-src's, Debian's, and each tarball or tree in NGX_TREES
comma := ,
COMPAT_TREES ?= $(NGX_CRATE) debian-bookworm debian-trixie debian-sid \
    $(sort $(patsubst %.tar.gz,%,$(notdir $(wildcard $(addsuffix /*.tar.gz,$(NGX_TREES))))) \
      $(notdir $(patsubst %/src/core/nginx.h,%,$(wildcard $(addsuffix /*/src/core/nginx.h,$(NGX_TREES))))))

compat: deps $(VENV)/bin/pytest target/nginx-tests/current/README $(if $(NGINX_TESTS_2022),target/nginx-tests/2022/README) ## Every nginx tree, stock vs ours (NGX_TREES, NGINX_TESTS): writes docs/COMPAT.md
	@mkdir -p target/compat
	timeout 3600 $(PYTEST) -m compat tests/test_nginx_build.py tests/test_scenario.py \
	    tests/test_nginx_suite.py --uses=epoll $(SUITES) --full-suite=$(NGX_CRATE) \
	    --trees=$(subst $(eval) ,$(comma),$(strip $(COMPAT_TREES))) \
	    --report=target/compat/report.json; rc=$$?; \
	$(PYTHON) tests/matrix.py target/compat/report*.json docs/COMPAT.md && exit $$rc

# ---- other CPUs ----------------------------------------------------------
# A Debian trixie root per CPU (Debian's arch names), made once under
# target/roots; make cpu-check proves ngx-channel there as on x86_64: every
# cargo test, make compat's checks on nginx-src's nginx, make bench.  Its
# report becomes the CPU's rows of docs/COMPAT.md at the next make compat.

ifneq ($(filter cpu-check,$(MAKECMDGOALS)),)
ifeq ($(ARCH),)
$(error make cpu-check: say which CPU, ARCH=i686 or ARCH=aarch64)
endif
endif

target/roots/%/.made: scripts/cpu-root.sh
	scripts/cpu-root.sh $* target/roots/$*

cpu-check: deps $(ROOT)/.made $(DIST) target/trees/$(NGX_CRATE)/origin ## The proof on another CPU (ARCH=i686|aarch64), in its trixie root
	timeout 2400 scripts/cpu-check.sh check $(DEB_ARCH) $(DIST) target/trees/$(NGX_CRATE)/src \
	    "$(firstword $(NGX_TREES))" "$(NGINX_TESTS)"

# ---- for packagers: the release tarball, Debian's package ----------------

# Debian's package is rebuilt for the host's own release: its build
# dependencies go into the host's dpkg (scripts/deb-build.sh refuses another)
DEB_SUITE ?= $(shell . /etc/os-release 2>/dev/null && echo $$VERSION_CODENAME)

$(DIST): $(wildcard $(shell git ls-files 2>/dev/null)) scripts/dist.sh
	scripts/dist.sh $(VERSION) target/dist

dist: $(DIST) ## The release tarball: sources, Cargo.lock, header, vendored crates (builds offline)

deb: deps $(DIST) target/trees/debian-$(DEB_SUITE)/origin ## Debian's nginx package of DEB_SUITE, rebuilt with the addon (offline): target/deb/
	timeout 2400 scripts/deb-build.sh $(DEB_SUITE) $(CURDIR)/$(DIST) $(CURDIR)/target/deb

deb-test: $(VENV)/bin/pytest ## The rebuilt package beside Debian's own nginx and module packages
	timeout 900 $(PYTEST) tests/test_debian_package.py --deb-dir=target/deb --deb-suite=$(DEB_SUITE)

# ---- benchmarks ----------------------------------------------------------

BENCH_BIN := target/bench/$(TREE)/roundtrip
BENCH_RUN  = PYTHONPATH=tests $(VENV)/bin/python bench/bench.py --binary $(BENCH_BIN) \
             --stock $(NGX)/stock-plain/binary --ours $(NGX)/ours-plain/binary

$(BENCH_BIN): $(NGX)/ours-plain/binary bench/roundtrip.c scripts/nginx-program.sh
	@mkdir -p $(@D)
	scripts/nginx-program.sh $(NGX)/ours-plain $@ bench/roundtrip.c

bench: deps $(BENCH_BIN) $(NGX)/stock-plain/binary $(VENV)/bin/pytest ## Benchmarks: ours vs nginx's C vs raw syscalls; writes bench/
	$(BENCH_RUN) --out bench

bench-smoke: $(BENCH_BIN) $(NGX)/stock-plain/binary $(VENV)/bin/pytest ## make bench in miniature (seconds, no timing assertions)
	$(BENCH_RUN) --out target/bench/smoke --smoke

# ---- make check ------------------------------------------------------------
# make check is one pytest session (tests/): every check a test, counted
# once.  It builds what the tests need first (make -j builds it side by
# side); the tests ask make for the same file targets, which are then done.
CHECK_BUILDS = lib $(foreach v,$(VARIANTS),$(NGX)/$(v)/binary) \
               $(foreach h,$(HARNESSES),$(h)/harness $(h)/asan/harness) $(BENCH_BIN) $(DIST) \
               $(FUZZ_DIFF_BINS) \
               $(if $(UPSTREAM_SRC),$(foreach v,stock-debug ours-upstream,target/nginx/$(UPSTREAM_TREE)/$(v)/binary))

check: deps $(VENV)/bin/pytest $(CHECK_BUILDS) ## Run every check (pytest); ends with "N passed, M failed"
	timeout 1200 $(PYTEST) tests $(PYTEST_ARGS) --ignore=tests/test_debian_package.py \
	    --ignore=tests/test_nginx_suite.py --trees=$(TREE) --upstream-tree=$(UPSTREAM_TREE)
