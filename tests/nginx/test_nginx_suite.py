"""nginx's own test suite (nginx-tests), run with stock nginx and with ours
from the same source and flags (the --with-debug builds): per file, the
same result on both.

    pytest tests/nginx/test_nginx_suite.py --nginx-root=target/nginx/TREE \\
        --suite=DIR [--suite-files=subset|all|a.t,b.t] [--suite-jobs=4] \\
        [--results=FILE]

Each file runs as nginx-tests runs it (perl, TEST_NGINX_BINARY; as root
with TEST_NGINX_GLOBALS="user root;"); its TAP output is summed up: the
plan or the reason it skipped itself, tests ok, failed (not ok without
TODO), skipped.  Files run several at a time; a file whose results differ
is run once more on both, one run at a time (nginx-tests has files that
are timing-sensitive or need port ranges no other test holds), and the
retry is reported.  The
suite's nginx listen on 127.0.0.1 only; each file stops its nginx itself.
"""

import concurrent.futures
import json
import os
import re
import subprocess

import pytest

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


def files_asked(config):
    suite = config.getoption("suite")
    which = config.getoption("suite_files")
    if which == "all":
        return sorted(f for f in os.listdir(suite) if f.endswith(".t"))
    if which == "subset":
        return SUBSET
    return which.split(",")


def pytest_generate_tests(metafunc):
    if "suite_file" in metafunc.fixturenames:
        metafunc.parametrize("suite_file", files_asked(metafunc.config))


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
def suite_results(pytestconfig, binary):
    """Every file asked for, run with stock and ours, several at a time;
    a file whose results differ runs once more on both."""
    suite = pytestconfig.getoption("suite")
    if not suite or not os.path.isdir(suite):
        pytest.fail(f"--suite={suite!r}: not a directory holding nginx-tests")
    bins = {"stock": binary("stock-debug"), "ours": binary("ours-debug")}
    names = files_asked(pytestconfig)
    jobs = pytestconfig.getoption("suite_jobs")

    def run_all(todo, jobs):
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            futs = {(n, b): pool.submit(run_file, suite, n, bins[b]) for n in todo for b in bins}
            return {k: f.result() for k, f in futs.items()}

    first = run_all(names, jobs)
    results = {n: {"stock": first[n, "stock"], "ours": first[n, "ours"], "retried": False}
               for n in names}
    differ = [n for n in names if results[n]["stock"] != results[n]["ours"]]
    if differ:
        # one file at a time: some need port ranges that others hold
        again = run_all(differ, 1)
        for n in differ:
            results[n] = {"stock": again[n, "stock"], "ours": again[n, "ours"],
                          "retried": True, "first": {"stock": first[n, "stock"],
                                                     "ours": first[n, "ours"]}}
    out = pytestconfig.getoption("results")
    if out:
        with open(out, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
    return results


def test_same_result_with_stock_and_ours(suite_results, suite_file):
    r = suite_results[suite_file]
    print(f"{suite_file}: stock {r['stock']}, ours {r['ours']}"
          f"{' (after a retry)' if r['retried'] else ''}")
    assert r["ours"] == r["stock"]
