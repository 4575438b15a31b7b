"""Fixtures for the real-nginx tests: which nginx builds to run, their
scenario runs (each made once and shared by the tests that check it), a
time bound on every test, and the "N passed, M failed" line make check
counts.

    pytest tests/nginx --nginx-root=target/nginx/TREE
        [--flavours=debug,plain] [--uses=epoll,poll,select] [--workers=4]
        [--suite=DIR --suite-files=subset|all]   (test_nginx_suite.py)

target/nginx/TREE/VARIANT/binary are the builds (`make nginx`): stock-*
with nginx's own ngx_channel.c, ours-* with ngx-channel, each --with-debug
(debug) or not (plain), and ours-upstream (--with-debug, upstream-next).
"""

import json
import os
import signal

import pytest

import nginxrun

DEADLINE = 240  # seconds for one test, scenario runs included


def pytest_addoption(parser):
    g = parser.getgroup("nginx")
    g.addoption("--nginx-root",
                help="target/nginx/TREE, whose VARIANT/binary are the nginx builds")
    g.addoption("--flavours", default="debug,plain",
                help="builds to run: debug (--with-debug), plain")
    g.addoption("--uses", default="epoll,poll,select", help="event methods to run")
    g.addoption("--workers", type=int, default=4)
    g.addoption("--suite", help="nginx's test suite (nginx-tests), extracted")
    g.addoption("--suite-files", default="subset",
                help="subset (test_nginx_suite.SUBSET), all, or a,b,c.t")
    g.addoption("--suite-jobs", type=int, default=4, help="files run at a time")
    g.addoption("--results", help="write the results as JSON here (make compat)")
    g.addoption("--deb-root", help="target/deb-test: packages unpacked (make deb-test)")


def pytest_configure(config):
    for name in ("flavour", "use", "impl"):
        config.addinivalue_line(
            "markers", f"{name}(*values): run this test for these values of {name} only")


def pytest_generate_tests(metafunc):
    """flavour, use and impl come from the command line (impl: stock and
    ours), narrowed by a marker of the same name on the test."""
    opts = metafunc.config.option
    choices = {"flavour": opts.flavours.split(","), "use": opts.uses.split(","),
               "impl": ["stock", "ours"]}
    for name, values in choices.items():
        if name in metafunc.fixturenames:
            marker = metafunc.definition.get_closest_marker(name)
            if marker:
                values = [v for v in values if v in marker.args]
            metafunc.parametrize(name, values)


def pytest_collection_modifyitems(config, items):
    """A test whose marker excludes every value asked for on the command
    line (a debug-only check when only plain builds run) is not collected:
    deselected, and said so, rather than reported as skipped."""
    keep, drop = [], []
    for item in items:
        empty = any(m.name == "skip" and "empty parameter set" in str(m.kwargs.get("reason", ""))
                    for m in item.iter_markers())
        (drop if empty else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def binary(pytestconfig):
    """binary(variant): the path of that build's nginx binary."""
    root = pytestconfig.getoption("nginx_root")

    def path(variant):
        if not root:
            pytest.fail("--nginx-root=target/nginx/TREE is needed")
        p = os.path.join(root, variant, "binary")
        if not os.path.exists(p):
            pytest.fail(f"{p} is missing: build it with make nginx")
        return p
    return path


@pytest.fixture(scope="session")
def workers(pytestconfig):
    return pytestconfig.getoption("workers")


@pytest.fixture(scope="session")
def scenarios(binary, workers, pytestconfig):
    """scenarios(impl, flavour, use): that build's scenario run, made once.
    With --results, what each run counted goes there as JSON at the end."""
    runs = {}

    def run(impl, flavour, use):
        key = (impl, flavour, use)
        if key not in runs:
            runs[key] = nginxrun.scenario(binary(f"{impl}-{flavour}"), use, workers,
                                          debug=flavour == "debug")
        return runs[key]
    yield run
    out = pytestconfig.getoption("results")
    if out and runs:
        with open(out, "w") as f:
            json.dump({"-".join(k): summary(r) for k, r in runs.items()}, f, indent=1)


def summary(run):
    """What the matrix shows of a scenario run."""
    if run.error:
        return {"error": run.error}
    t = run.total
    return {"OPEN": t.command("OPEN"), "QUIT": t.command("QUIT"),
            "REOPEN": t.command("REOPEN"), "CLOSE": t.command("CLOSE"),
            "exits": len(t.exit_codes), "alerts": len(t.alerts),
            "left_running": run.left_running}


@pytest.fixture(autouse=True)
def deadline():
    """Every test ends within DEADLINE seconds; whatever it started is
    stopped by the code that started it (nginxrun's finally blocks)."""
    def expire(signo, frame):
        raise TimeoutError(f"test exceeded its {DEADLINE} s bound")
    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(DEADLINE)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def pytest_terminal_summary(terminalreporter):
    stats = terminalreporter.stats
    passed = len(stats.get("passed", []))
    failed = len(stats.get("failed", [])) + len(stats.get("error", []))
    skipped = len(stats.get("skipped", []))
    extra = f", {skipped} skipped" if skipped else ""
    terminalreporter.write_line(f"nginx tests: {passed} passed, {failed} failed{extra}")
