"""nginx's own test suite (nginx-tests), run with stock nginx and with ours
from the same source and flags (the --with-debug builds): per file, the
same result on both.

    pytest tests/test_nginx_suite.py --trees=TREE --suite=DIR [--suite-2022=DIR]
        [--full-suite=TREE] [--suite-jobs=4]

Each file runs as nginx-tests runs it (perl, TEST_NGINX_BINARY; as root
with TEST_NGINX_GLOBALS="user root;"); its TAP output is summed up: the
plan or the reason it skipped itself, tests ok, failed (not ok without
TODO), skipped.  nginx older than 1.19.5 runs the suite of 2022 (the later
one starts nginx with -e).  Files run several at a time; a file whose
results differ is run once more on both, one run at a time (nginx-tests has
files that are timing-sensitive or need port ranges no other test holds),
and the retry is reported.  The suite's nginx listen on 127.0.0.1 only;
each file stops its nginx itself.  The subset runs on every tree; the whole
suite on the --full-suite tree.
"""

import concurrent.futures
import os
import re
import subprocess

import pytest

from conftest import report

# The files that exercise reloads, worker lifecycle and shutdown: reloads
# (HUP), graceful shutdown with connections open (worker_shutdown_timeout),
# several workers (upstream random), error log reopening.  Every file of the
# suite also stops nginx with QUIT, which reaches the worker by channel.
SUBSET = [
    "error_log.t",
    "h2_keepalive.t",
    "proxy_available.t",
    "stream_upstream_random.t",
    "stream_upstream_resolve_reload.t",
    "stream_upstream_service_reload.t",
    "upstream_random.t",
    "upstream_resolve_reload.t",
    "upstream_service_reload.t",
    "worker_shutdown_timeout.t",
    "worker_shutdown_timeout_h2.t",
    "worker_shutdown_timeout_mail.t",
    "worker_shutdown_timeout_proxy_upgrade.t",
    "worker_shutdown_timeout_stream.t",
]

TIMEOUT = 300  # seconds for one file


def parse_tap(out, status):
    """What one file's TAP output says."""
    r = {"plan": None, "skip_all": None, "ok": 0, "failed": 0, "todo": 0, "skipped": 0,
         "exit": status}
    for line in out.splitlines():
        m = re.match(r"^1\.\.(\d+)(?:\s*#\s*skip\w*\s*(.*))?", line, re.I)
        if m:
            r["plan"] = int(m[1])
            if m[2] is not None:
                r["skip_all"] = m[2].strip()
            continue
        m = re.match(r"^(not )?ok \d+(.*)$", line)
        if not m:
            continue
        directive = re.search(r"#\s*(todo|skip)\b", m[2], re.I)
        kind = directive[1].lower() if directive else None
        if kind == "skip":
            r["skipped"] += 1
        elif kind == "todo":
            r["todo"] += 1
        elif m[1]:
            r["failed"] += 1
        else:
            r["ok"] += 1
    return r


def run_file(suite, name, binary):
    path = os.path.join(suite, name)
    if not os.path.exists(path):
        return {"absent": True}
    env = {k: v for k, v in os.environ.items() if k != "NGINX"}
    env["TEST_NGINX_BINARY"] = os.path.abspath(binary)
    if os.geteuid() == 0:
        env["TEST_NGINX_GLOBALS"] = "user root;"
    try:
        p = subprocess.run(["perl", name], cwd=suite, env=env, capture_output=True,
                           text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"timeout": TIMEOUT}
    return parse_tap(p.stdout, p.returncode)


@pytest.fixture(scope="session")
def suite_of(pytestconfig, tree):
    """run(files): {file: {stock, ours, retried}}, each file run once per
    tree with stock and ours, several at a time; a file whose results
    differ runs once more on both, alone."""
    old = tree.version() < (1, 19, 5)
    suite = pytestconfig.getoption("suite_2022" if old else "suite")
    if not suite or not os.path.isdir(suite):
        pytest.fail(f"--suite{'-2022' if old else ''}={suite!r}: not nginx-tests "
                    f"(NGINX_TESTS{'_2022' if old else ''})", pytrace=False)
    bins = {"stock": tree.binary("stock-debug"), "ours": tree.binary("ours-debug")}
    jobs = pytestconfig.getoption("suite_jobs")
    done = {}

    def run_all(todo, jobs):
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            futs = {(n, b): pool.submit(run_file, suite, n, bins[b]) for n in todo for b in bins}
            return {k: f.result() for k, f in futs.items()}

    def results(names):
        todo = [n for n in names if n not in done]
        first = run_all(todo, jobs)
        for n in todo:
            done[n] = {"stock": first[n, "stock"], "ours": first[n, "ours"], "retried": False}
        differ = [n for n in todo if done[n]["stock"] != done[n]["ours"]]
        again = run_all(differ, 1)
        for n in differ:
            done[n] = {"stock": again[n, "stock"], "ours": again[n, "ours"], "retried": True}
        return {n: done[n] for n in names}
    results.suite = "nginx-tests 2022" if old else "nginx-tests 2026"
    results.dir = suite
    return results


def failed(r):
    return (not r.get("absent") and r.get("skip_all") is None
            and bool(r.get("failed") or r.get("exit") or r.get("timeout")))


def summary(suite, results):
    """What the matrix shows of a suite run."""
    out = {"suite": suite.suite, "files": len(results),
           "differ": sorted(n for n, r in results.items() if r["stock"] != r["ours"]),
           "retried": sorted(n for n, r in results.items() if r["retried"]),
           "failing": sorted(n for n, r in results.items() if failed(r["stock"]))}
    for b in ("stock", "ours"):
        rs = [r[b] for r in results.values()]
        out[b] = {"absent": sum(1 for r in rs if r.get("absent")),
                  "skipped": sum(1 for r in rs if r.get("skip_all") is not None),
                  "failed": sum(1 for r in rs if failed(r)),
                  "ok": sum(r.get("ok", 0) for r in rs)}
        out[b]["passed"] = len(rs) - out[b]["absent"] - out[b]["skipped"] - out[b]["failed"]
    return out


@pytest.mark.compat
@pytest.mark.timeout(2400)
@pytest.mark.parametrize("suite_file", SUBSET)
def test_same_result_with_stock_and_ours(tree, suite_of, suite_file):
    results = suite_of(SUBSET)
    report(tree.name, "suite_subset", summary(suite_of, results))
    r = results[suite_file]
    print(f"{suite_file}: stock {r['stock']}, ours {r['ours']}"
          f"{' (after a retry)' if r['retried'] else ''}")
    assert r["ours"] == r["stock"]


@pytest.mark.compat
@pytest.mark.full_suite
@pytest.mark.timeout(3000)
def test_whole_suite_same_result_per_file(tree, suite_of):
    files = sorted(f for f in os.listdir(suite_of.dir) if f.endswith(".t"))
    s = summary(suite_of, suite_of(files))
    report(tree.name, "suite_all", s)
    assert s["differ"] == []
