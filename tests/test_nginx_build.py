"""ngx-channel built into an nginx tree (--add-module=addon), against that
tree's own ngx_channel.c: the record and the layout build.rs measured, the
header inside nginx, the guard, the footprint, the differential harness
(nginx's C and ours in one program), the release tarball built offline,
the bench in miniature."""

import os
import re
import shutil

import pytest

import nginxrun
from conftest import TOP, build, ok, read_record, report, run, version

HARNESS_VALGRIND = ["valgrind", "-q", "--error-exitcode=1", "--child-silent-after-fork=yes",
                    f"--suppressions={TOP}/c_tests/diff/valgrind.supp"]


def crate_tree():
    with open(os.path.join(TOP, "tools", "nginx-src", "Cargo.lock")) as f:
        return "nginx-" + re.search(r'name = "nginx-src"\nversion = "[^"]*\+([^"]*)"', f.read())[1]


def layout(record):
    return {k: v for k, v in record.items() if re.fullmatch(r"[A-Z_]+", k)
            and k not in ("CC", "CFLAGS", "INCS", "LIBS", "BINARY", "READ_PATH", "NGINX_VERSION",
                          "NGX_DEBUG")}


DEFAULT = os.path.join(TOP, "src", "nginx", "nginx-1.28.3.layout")


@pytest.mark.compat
def test_record_of_the_build(tree):
    """What build.rs learned (objs/ngx_channel_rs/build.env): the tree's
    version, the read path chosen from its ngx_channel.c, its layout."""
    rec = tree.record("ours-debug")
    default = read_record(DEFAULT)
    report(tree.name, "read_path", rec["READ_PATH"])
    report(tree.name, "layout", {k: v for k, v in layout(rec).items() if default.get(k) != v})
    assert rec["NGINX_VERSION"] == tree.origin["VERSION"]
    assert rec["NGX_DEBUG"] == "1" and os.path.samefile(rec["BINARY"], tree.binary("ours-debug"))
    fixed = "NGX_EMSGSIZE" in open(f"{tree.dir('ours-debug')}/src/os/unix/ngx_channel.c").read()
    assert rec["READ_PATH"] == ("upstream-next" if fixed else "nginx-1.28")


@pytest.mark.parametrize("variant", ["ours-plain", "ours-debug"])
def test_default_layout_is_what_nginx_src_measures(tree, variant):
    if tree.name != crate_tree():
        pytest.skip(f"the default layout is {crate_tree()}'s")
    assert layout(tree.record(variant)) == read_record(DEFAULT), "run make layout"


@pytest.mark.parametrize("variant,expect", [("ours-plain", 0), ("ours-debug", 1),
                                            ("ours-ccopt", 1)])
def test_debug_line_follows_ngx_debug(tree, variant, expect):
    """The R3 debug line reaches stderr only for a library built for an
    nginx whose code has NGX_DEBUG (CFLAGS count, not only --with-debug)."""
    tree.binary(variant)
    exe = os.path.join(TOP, "target", "c_tests", f"debug_line.{tree.name}.{variant}")
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    ok(["cc", "-O2", "-Wall", "-Werror", f"-I{TOP}/include", f"{TOP}/c_tests/debug_line.c",
        "-o", exe, f"{tree.dir(variant)}/objs/ngx_channel_rs/release/libngx_channel.a"])
    ok([exe, str(expect)])


def test_header_inside_nginx(tree, tmp_path):
    """include/ngx_channel.h after nginx's own ngx_channel.h, in an nginx
    translation unit; a header whose prototype differs must not compile."""
    incs = tree.record("ours-plain")["INCS"].split()
    cc = ["cc", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", *incs, "-c"]
    ok([*cc, f"{TOP}/c_tests/header_in_nginx.c", "-o", tmp_path / "in.o"])
    wrong = tmp_path / "include" / "ngx_channel.h"
    wrong.parent.mkdir()
    text = open(f"{TOP}/include/ngx_channel.h").read()
    wrong.write_text(text.replace("ngx_channel_t *ch, size_t size", "ngx_channel_t *ch, int size"))
    assert wrong.read_text() != text
    (tmp_path / "c_tests").mkdir()
    shutil.copy(f"{TOP}/c_tests/header_in_nginx.c", tmp_path / "c_tests")
    r = run([*cc, tmp_path / "c_tests" / "header_in_nginx.c", "-o", tmp_path / "wrong.o"])
    assert r.returncode != 0 and re.search(r"conflicting types for .ngx_read_channel", r.stdout)


# ---- the guard --------------------------------------------------------------

GUARD_CASES = [
    # name, build, strip options, passes (and kept)
    pytest.param("ours-debug", "ours-debug", None, True, marks=pytest.mark.compat),
    ("ours-plain", "ours-plain", None, True),
    ("ours-ld-s", "ours-stripped", None, True),
    ("ours-strip-all", "ours-debug", ["--strip-all"], True),
    ("ours-dh-strip", "ours-plain", ["--remove-section=.comment", "--remove-section=.note",
                                     "--strip-unneeded"], True),
    pytest.param("stock-debug", "stock-debug", None, False, marks=pytest.mark.compat),
    ("stock-strip-all", "stock-plain", ["--strip-all"], False),
]


@pytest.mark.parametrize("name,variant,strip,passes", GUARD_CASES)
def test_guard(tree, tmp_path, name, variant, strip, passes):
    """addon/guard.sh passes and keeps ours, stripped or not; it fails
    stock nginx and removes it (a wrong link never passes silently)."""
    copy = tmp_path / name
    shutil.copy(tree.binary(variant), copy)
    if strip:
        ok(["strip", *strip, copy])
    if name == "ours-ld-s":
        assert ".symtab" not in ok(["readelf", "-S", copy])
    r = run([f"{TOP}/addon/guard.sh", copy])
    assert (r.returncode == 0, copy.exists()) == (passes, passes), r.stdout
    if variant.startswith("ours"):
        report(tree.name, "guard", "ours kept, stock removed")


def test_guard_leaves_what_it_cannot_read(tmp_path):
    junk = tmp_path / "not-elf"
    junk.write_text("not an ELF file\n")
    assert run([f"{TOP}/addon/guard.sh", junk]).returncode != 0 and junk.exists()


# ---- the footprint ------------------------------------------------------------

@pytest.mark.compat
def test_footprint(tree, flavour):
    """nginx's text grows by at most 4 KiB with ours, and exports exactly
    the dynamic symbols stock does."""
    f = nginxrun.footprint(tree.binary(f"stock-{flavour}"), tree.binary(f"ours-{flavour}"))
    growth = f["text/ours"] - f["text/stock"]
    report(tree.name, f"footprint_{flavour}", {"growth": growth, "exported": [
        len(f["exported/stock"]), len(f["exported/ours"])]})
    assert growth <= 4096
    assert f["exported/ours"] == f["exported/stock"]


# ---- the differential harness -------------------------------------------------

def harness(tree, variant, asan=False):
    return build(f"target/harness/{tree.name}/{variant}{'/asan' if asan else ''}/harness")[0]


def harness_run(tree, variant, wrap=(), asan=False):
    """Runs a harness build: every check passes; what it counted."""
    env = {"HARNESS_VALGRIND": "1"} if wrap else {"ASAN_OPTIONS": "handle_segv=0"} if asan else None
    out = ok([*wrap, harness(tree, variant, asan)], env_extra=env, timeout=900)
    m = re.search(r"^harness: (\d+) passed, (\d+) failed", out, re.M)
    assert m and m[2] == "0", out[-3000:]
    return {"cases": len(re.findall(r"^case ", out, re.M)), "checks": int(m[1]) + int(m[2]),
            "failed": int(m[2])}


@pytest.mark.compat
def test_harness(tree, flavour):
    """nginx's C of this tree and ours, case by case: the same outcome."""
    report(tree.name, f"harness_{flavour}", harness_run(tree, f"ours-{flavour}"))


def test_harness_upstream_next_against_nginx_fix(upstream, flavour):
    """Ours with upstream-next against nginx's own fd-table fix (the addon
    picks that read path for the tree whose ngx_channel.c has the fix)."""
    assert upstream.record(f"ours-{flavour}")["READ_PATH"] == "upstream-next"
    harness_run(upstream, f"ours-{flavour}")


def test_harness_under_valgrind(tree, flavour):
    harness_run(tree, f"ours-{flavour}", HARNESS_VALGRIND)


def test_harness_with_asan_and_ubsan(tree, flavour):
    harness_run(tree, f"ours-{flavour}", asan=True)


def test_upstream_harness_under_valgrind_and_asan(upstream):
    harness_run(upstream, "ours-debug", HARNESS_VALGRIND)
    harness_run(upstream, "ours-debug", asan=True)


# ---- the release tarball, the bench -------------------------------------------

def test_release_tarball_builds_nginx_offline(tree, tmp_path):
    """nginx configured with the tarball's addon builds in a network
    namespace without a network, with an empty CARGO_HOME, and cargo told
    to stay offline; nothing is downloaded, the build's guard passes."""
    if tree.name != crate_tree():
        pytest.skip(f"run on {crate_tree()}")
    tarball = build(f"target/dist/ngx-channel-{version()}.tar.gz")[0]
    ok(["sha256sum", "-c", "--quiet", os.path.basename(tarball) + ".sha256"],
       cwd=os.path.dirname(tarball))
    ok(["tar", "xzf", tarball, "-C", tmp_path])
    ext = next(p for p in tmp_path.iterdir() if p.name.startswith("ngx-channel-"))
    src = tmp_path / "nginx"
    shutil.copytree(f"{TOP}/target/trees/{tree.name}/src", src, symlinks=True)
    conf = "./configure" if (src / "configure").exists() else "auto/configure"
    ok([conf, f"--add-module={ext}/addon"], cwd=src)
    # a new network namespace has one interface, lo, and it is down
    assert ok(["unshare", "-n", "cat", "/proc/net/dev"]).count(":") == 1
    home = tmp_path / "cargo-home"
    home.mkdir()
    out = ok(["unshare", "-n", "env", f"CARGO_HOME={home}", "CARGO_NET_OFFLINE=true",
              "make", "-f", "objs/Makefile", f"-j{os.cpu_count()}"], cwd=src, timeout=900)
    assert not (home / "registry").exists()
    assert re.search(r"ngx-channel guard: the channel functions in .* come from ngx-channel", out)
    binary = read_record(src / "objs" / "ngx_channel_rs" / "build.env")["BINARY"]
    assert f"--add-module={ext}/addon" in run([binary, "-V"]).stdout


def test_bench_in_miniature(tree):
    """make bench's programs and measurements, briefly, no assertions on
    the figures (make bench makes those)."""
    if tree.name != crate_tree():
        pytest.skip(f"run on {crate_tree()}")
    build(f"target/bench/{tree.name}/roundtrip")
    ok(["make", "--no-print-directory", "bench-smoke", f"TREE={tree.name}"], timeout=600)
