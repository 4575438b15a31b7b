"""make fuzz-diff's slice in make check: 60 seconds of differential fuzzing
(c_tests/fuzz_diff.c: nginx's C and ours on the same input, the kernel's
answers injected) of the tree and, where NGX_TREES has it, nginx's
fd-table fix, each plain and --with-debug; then the minimised corpus
under ASan and UBSan, and gcov's branches of nginx's ngx_read_channel and
ngx_write_channel."""

import re

import pytest

from conftest import TOP, build, make, run

SECONDS = 60


@pytest.fixture(scope="module")
def fuzzed(pytestconfig, tree):
    """The configurations fuzzed, and scripts/fuzz-diff.sh's output per
    configuration."""
    names = [tree.name]
    upstream = pytestconfig.getoption("upstream_tree")
    if make(f"target/trees/{upstream}/origin").returncode == 0:
        names.append(upstream)
    dirs = [f"target/fuzz-diff/{n}/{v}" for n in names for v in ("ours-plain", "ours-debug")]
    build(*[f"{d}/{f}/fuzz_diff" for d in dirs for f in ("fuzz", "asan", "cov")])
    r = run(["scripts/fuzz-diff.sh", SECONDS, *[f"{TOP}/{d}" for d in dirs]], timeout=900)
    print(r.stdout)
    parts = dict(re.findall(r"^== (\S+) .*\n((?:(?!== ).*\n)*)", r.stdout, re.M))
    assert sorted(parts) == sorted(d.removeprefix("target/fuzz-diff/") for d in dirs), r.stdout
    return r.returncode, parts


def test_no_difference(fuzzed):
    rc, parts = fuzzed
    for cfg, out in parts.items():
        m = re.search(r"^fuzz_diff: (\d+) executions .*, (\d+) differences$", out, re.M)
        assert m and int(m[1]) > 0 and m[2] == "0", f"{cfg}:\n{out}"
    assert rc == 0


def test_corpus_clean_under_asan_and_ubsan(fuzzed):
    for cfg, out in fuzzed[1].items():
        assert re.search(r"^ASan\+UBSan: .*, 0 differences$", out, re.M), f"{cfg}:\n{out}"


def test_every_branch_of_nginx_c_taken(fuzzed):
    for cfg, out in fuzzed[1].items():
        for fn in ("ref_ngx_read_channel", "ref_ngx_write_channel"):
            m = re.search(rf"^  {fn}: branches taken (\d+) of (\d+)$", out, re.M)
            assert m and int(m[2]) > 0 and m[1] == m[2], f"{cfg} {fn}:\n{out}"


def test_a_broken_ours_is_seen(tree, tmp_path):
    """The comparison can fail: ours with a bit of *ch flipped after a read."""
    exe = build(f"target/fuzz-diff/{tree.name}/ours-plain/fuzz/fuzz_diff")[0]
    r = run([exe, "-b", "-t", "1"], cwd=tmp_path)
    assert r.returncode == 1 and "DIFFERENCE (*ch)" in r.stdout, r.stdout[-2000:]
