"""The C library without nginx: what it exports, its header, C programs
and the examples against the .so and the .a, installed as a system
library, under valgrind and the sanitizers, soaked and fuzzed."""

import glob
import json
import os
import re
import subprocess

import pytest

from conftest import TOP, build, ok, run, version

REL = os.path.join(TOP, "target", "release")
CT = os.path.join(TOP, "target", "c_tests")
CFLAGS = ["-O2", "-g", "-Wall", "-Wextra", "-Werror", f"-I{TOP}/include"]
FOUR = ["ngx_add_channel_event", "ngx_close_channel", "ngx_read_channel", "ngx_write_channel"]
VERSIONED = ["NGX_CHANNEL_1"] + [f"{f}@@NGX_CHANNEL_1" for f in FOUR]


@pytest.fixture(scope="module")
def lib():
    build("lib")
    os.makedirs(CT, exist_ok=True)
    return {"a": os.path.join(REL, "libngx_channel.a"),
            "so": ["-L" + REL, f"-Wl,-rpath,{REL}", "-lngx_channel"]}


def link(lib, kind, src, name, cc="cc", flags=CFLAGS):
    """Builds a C program against the .a or the .so; its path."""
    out = os.path.join(CT, f"{name}.{kind}.bin")
    ok([cc, *flags, os.path.join(TOP, src), "-o", out,
        *([lib["a"]] if kind == "a" else lib["so"])])
    return out


def defined_dynamic(path):
    out = ok(["nm", "-D", "--defined-only", path])
    return sorted(line.split()[-1] for line in out.splitlines())


def archive_symbols(lib, tmp_path):
    """(bind, visibility, name) of the archive's own members' definitions
    (compiler_builtins' members are never pulled in: nothing calls them)."""
    ok(["ar", "x", lib["a"]], cwd=tmp_path)
    syms = set()
    for m in os.listdir(tmp_path):
        if "compiler_builtins" not in m:
            for line in ok(["readelf", "-sW", m], cwd=tmp_path).splitlines():
                f = line.split()
                if len(f) >= 8 and f[4] in ("GLOBAL", "WEAK") and f[6] != "UND":
                    syms.add((f[4], f[5], f[7]))
    return syms


def test_so_exports_the_four_at_their_version_and_nothing_else(lib):
    assert defined_dynamic(os.path.join(REL, "libngx_channel.so")) == VERSIONED


def test_archive_defines_the_four_and_nothing_else(lib, tmp_path):
    public = sorted(n for b, v, n in archive_symbols(lib, tmp_path) if v == "DEFAULT")
    assert public == FOUR


def test_archive_has_no_panic_path(lib, tmp_path):
    ok(["ar", "x", lib["a"]], cwd=tmp_path)
    members = [m for m in os.listdir(tmp_path) if "compiler_builtins" not in m]
    out = ok(["readelf", "-sW", *members], cwd=tmp_path)
    assert "panic" not in out.lower()


def test_header_is_what_cbindgen_makes_now(tmp_path):
    fresh = tmp_path / "ngx_channel.h"
    ok(["cargo", "build", "--quiet", "--no-default-features", "--features", "header"],
       env_extra={"NGX_CHANNEL_HEADER_OUT": str(fresh)})
    with open(os.path.join(TOP, "include", "ngx_channel.h")) as f:
        assert f.read() == fresh.read_text(), "include/ngx_channel.h is stale: run make header"


@pytest.mark.parametrize("std", ["c99", "c11", "c++17"])
def test_header_compiles_alone(std, tmp_path):
    lang = ["-x", "c++"] if std.startswith("c++") else []
    ok(["c++" if lang else "cc", *lang, f"-std={std}", "-pedantic", *CFLAGS, "-c",
        os.path.join(TOP, "c_tests", "header_alone.c"), "-o", tmp_path / "h.o"])


@pytest.mark.parametrize("kind", ["so", "a"])
@pytest.mark.parametrize("prog", ["master_worker", "fallback_log"])
def test_c_program(lib, prog, kind):
    exe = link(lib, kind, f"c_tests/{prog}.c", prog)
    needs_so = "libngx_channel.so" in ok(["ldd", exe])
    assert needs_so == (kind == "so")
    ok(["timeout", "60", exe])


def test_rust_example():
    ok(["timeout", "60", "cargo", "run", "--quiet", "--example", "master_worker", "--", "3", "30"])


@pytest.mark.parametrize("kind,args", [("a", ["4", "40"]), ("so", ["2", "20"])])
def test_c_example(lib, kind, args):
    ok(["timeout", "60", link(lib, kind, "examples/master_worker.c", "example_mw"), *args])


def test_soak_fds_and_rss_constant(lib):
    ok(["timeout", "120", link(lib, "a", "c_tests/soak.c", "soak"), "100000"])


# ---- installed as a system library -----------------------------------------

@pytest.fixture(scope="module")
def installed(lib, tmp_path_factory):
    root = tmp_path_factory.mktemp("install")
    ok(["make", "--no-print-directory", "install", "PREFIX=/usr", f"DESTDIR={root}"])
    # the .pc names the real prefix; DESTDIR is only where it is staged
    env = {"PKG_CONFIG_PATH": f"{root}/usr/lib/pkgconfig", "PKG_CONFIG_SYSROOT_DIR": str(root)}
    return root, env


def pkg_build(installed, out, *static):
    root, env = installed
    flags = ok(["pkg-config", *static, "--cflags", "--libs", "ngx_channel"], env_extra=env).split()
    ok(["cc", *static, "-O2", "-Wall", "-Werror", os.path.join(TOP, "c_tests/master_worker.c"),
        "-o", out, *flags])
    return out


def test_installed_shared_build_needs_the_soname_and_runs(installed, tmp_path):
    root, _ = installed
    exe = pkg_build(installed, tmp_path / "shared")
    assert f"[libngx_channel.so.{version().split('.')[0]}]" in ok(["readelf", "-d", exe])
    ok(["timeout", "60", exe], env_extra={"LD_LIBRARY_PATH": f"{root}/usr/lib"})


def test_installed_static_build_needs_no_shared_library(installed, tmp_path):
    exe = pkg_build(installed, tmp_path / "static", "--static")
    assert "NEEDED" not in run(["readelf", "-d", exe]).stdout
    ok(["timeout", "60", exe])


def test_installed_so_soname_and_versions(installed):
    root, _ = installed
    so = f"{root}/usr/lib/libngx_channel.so.{version()}"
    assert f"[libngx_channel.so.{version().split('.')[0]}]" in ok(["readelf", "-d", so])
    assert defined_dynamic(so) == VERSIONED


def test_next_minor_version_runs_a_program_built_against_this_one(installed, tmp_path):
    """The same sources as version MAJOR.(MINOR+1).0: same soname, and a
    program built against this version loads and runs it."""
    this = version()
    major, minor, _ = this.split(".")
    nxt = f"{major}.{int(minor) + 1}.0"
    src = tmp_path / "src"
    files = ok(["git", "ls-files", "--cached", "--others", "--exclude-standard"]).split()
    src.mkdir()
    tar = subprocess.run(["tar", "cf", "-", *files], cwd=TOP, check=True, capture_output=True)
    subprocess.run(["tar", "xf", "-"], cwd=src, input=tar.stdout, check=True)
    for name in ("Cargo.toml", "Cargo.lock"):
        text = (src / name).read_text()
        (src / name).write_text(re.sub(rf'(name = "ngx-channel"\n(?:[^\n]*\n)*?version = )"{this}"',
                                       rf'\1"{nxt}"', text, count=1))
    out = os.path.join(TOP, "target", "install-next")
    ok(["sh", "scripts/lean-lib.sh", out], cwd=src)
    ok(["sh", "scripts/link-shared.sh", f"{out}/release", nxt], cwd=src)
    so = f"{out}/release/libngx_channel.so.{nxt}"
    assert f"[libngx_channel.so.{major}]" in ok(["readelf", "-d", so])
    exe = pkg_build(installed, tmp_path / "shared")
    env = {"LD_LIBRARY_PATH": f"{out}/release"}
    loaded = re.search(r"libngx_channel\S* => (\S+)", ok(["ldd", exe], env_extra=env))[1]
    assert os.path.realpath(loaded) == os.path.realpath(so)
    ok(["timeout", "60", exe], env_extra=env)


def test_uninstall_leaves_nothing(installed):
    root, _ = installed
    ok(["make", "--no-print-directory", "uninstall", "PREFIX=/usr", f"DESTDIR={root}"])
    assert [p for p in glob.glob(f"{root}/**", recursive=True) if not os.path.isdir(p)] == []
    assert not os.path.exists(f"{root}/usr/share/doc/ngx-channel")


# ---- valgrind, the sanitizers, the fuzzer -----------------------------------

VALGRIND = ["valgrind", "-q", "--error-exitcode=99"]
PROGRAMS = ["c_tests/master_worker.c", "c_tests/fallback_log.c", "examples/master_worker.c"]


def test_cargo_unit_tests_under_valgrind():
    out = run(["cargo", "test", "--lib", "--no-run", "--message-format=json"]).stdout
    exe = [m["executable"] for m in map(json.loads, out.splitlines()[:-1] or [])
           if m.get("reason") == "compiler-artifact" and m.get("executable")
           and m.get("profile", {}).get("test")]
    # memory errors only: forked children and the test threads leave memory
    # behind at _exit that is not ours; proptest's cases reduced (~50x slower)
    ok([*VALGRIND, "--child-silent-after-fork=yes", exe[0], "--test-threads=2", "-q"],
       timeout=900, env_extra={"PROPTEST_CASES": "200"})


@pytest.mark.parametrize("prog", PROGRAMS)
def test_c_program_under_valgrind(lib, prog):
    exe = link(lib, "a", prog, prog.replace("/", "_") + ".vg", flags=CFLAGS[1:] + ["-O1"])
    ok([*VALGRIND, "--leak-check=full", "--errors-for-leak-kinds=definite",
        "--trace-children=yes", exe])


@pytest.mark.parametrize("prog", PROGRAMS)
def test_c_program_with_asan_and_ubsan(lib, prog):
    flags = CFLAGS[1:] + ["-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                          "-fno-omit-frame-pointer"]
    ok([link(lib, "a", prog, prog.replace("/", "_") + ".asan", flags=flags)])


def test_fuzz_slice_no_crash():
    """45 seconds of make fuzz (ngx_read_channel against a hostile peer)."""
    print(ok(["scripts/fuzz.sh", "45"], timeout=600))
