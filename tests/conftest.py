"""The one test runner: `make check` and `make compat` are pytest sessions.

    pytest tests --trees=nginx-1.28.3[,debian-bookworm,...] [-m compat]
        [--flavours=debug,plain] [--uses=epoll,poll,select] [--workers=4]
        [--suite=DIR --suite-files=subset|all] [--report=FILE.json]

Whatever a test needs is built by make, as a file target, once per session
(`build`); a test that needs an nginx tree takes the `tree` fixture,
parametrised from --trees.  What the tests of a tree find goes into the
report (--report), from which tests/matrix.py writes docs/COMPAT.md: a row
per (tree, CPU).  The last line is "N passed, M failed".
"""

import functools
import json
import os
import platform
import re
import shlex
import subprocess

import pytest

import nginxrun

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# what a tree's fetch says when Debian's archive lists a version it does
# not serve (scripts/debian-source.py): the tree cannot run here
NOT_SERVED = re.compile(r"index lists nginx \S+, but the archive does not serve .*")


def pytest_addoption(parser):
    g = parser.getgroup("ngx-channel")
    g.addoption("--trees", default="", help="nginx trees to test, comma-separated")
    g.addoption("--upstream-tree", default="nginx-pr1662",
                help="the tree of nginx's fd-table fix, for the upstream-next checks")
    g.addoption("--flavours", default="debug,plain", help="builds: debug, plain")
    g.addoption("--uses", default="epoll,poll,select", help="event methods")
    g.addoption("--workers", type=int, default=4)
    g.addoption("--suite", help="nginx's test suite (nginx-tests), extracted")
    g.addoption("--suite-2022", help="the suite of 2022, for nginx older than 1.19.5")
    g.addoption("--suite-files", default="subset", help="subset, all, or a.t,b.t")
    g.addoption("--suite-jobs", type=int, default=4, help="suite files run at a time")
    g.addoption("--full-suite", default="",
                help="the tree whose whole suite runs too (tests marked full_suite)")
    g.addoption("--report", help="write what the tests found, per tree, as JSON")
    g.addoption("--deb-dir", help="the packages make deb built (make deb-test)")
    g.addoption("--deb-suite", help="the Debian suite they were built from")


def run(cmd, timeout=600, cwd=TOP, env_extra=None, **kw):
    """A command's CompletedProcess, stdout and stderr as one text."""
    env = {**os.environ, **env_extra} if env_extra else None
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout, **kw)


def ok(cmd, timeout=600, **kw):
    """Runs a command and fails the test, with its output, unless it passes."""
    r = run(cmd, timeout, **kw)
    assert r.returncode == 0, f"{shlex.join(map(str, cmd))}: exit {r.returncode}\n{r.stdout[-3000:]}"
    return r.stdout


@functools.cache
def make(*targets):
    """make's result for these targets, once a session."""
    return run(["make", "--no-print-directory", *targets], timeout=2400)


def build(*targets):
    """Builds make targets, once a session, failing the test if they do not."""
    r = make(*targets)
    if r.returncode != 0:
        pytest.fail(f"make {' '.join(targets)} failed:\n{r.stdout[-3000:]}", pytrace=False)
    return [os.path.join(TOP, t) for t in targets]


def version():
    """ngx-channel's version (Cargo.toml)."""
    with open(os.path.join(TOP, "Cargo.toml")) as f:
        return re.search(r'^version = "(.*)"', f.read(), re.M)[1]


def read_record(path):
    """A KEY=value file (sh syntax): a tree's origin, a build's record."""
    values = {}
    with open(path) as f:
        for line in f:
            key, eq, value = line.partition("=")
            if eq and re.fullmatch(r"[A-Z_0-9]+", key):
                words = shlex.split(value, comments=True)
                values[key] = words[0] if words else ""
    return values


class Tree:
    """An nginx tree (target/trees/NAME) and its builds (target/nginx/NAME)."""

    def __init__(self, name):
        self.name = name
        fetched = make(f"target/trees/{name}/origin")
        if fetched.returncode != 0:
            m = NOT_SERVED.search(fetched.stdout)
            if m:
                report(name, "not_run", f"Debian's archive here: {m[0]}")
                pytest.skip(f"{name} cannot be fetched here: {m[0]}")
            pytest.fail(f"{name} cannot be fetched:\n{fetched.stdout[-2000:]}", pytrace=False)
        self.origin = read_record(os.path.join(TOP, "target", "trees", name, "origin"))
        report(name, "origin", self.origin)

    def binary(self, variant):
        return build(f"target/nginx/{self.name}/{variant}/binary")[0]

    def record(self, variant):
        """What build.rs learned of an ours build (objs/ngx_channel_rs/build.env)."""
        self.binary(variant)
        return read_record(os.path.join(TOP, "target", "nginx", self.name, variant,
                                        "objs", "ngx_channel_rs", "build.env"))

    def version(self):
        return tuple(int(x) for x in self.origin["VERSION"].split("."))

    def dir(self, variant):
        return os.path.join(TOP, "target", "nginx", self.name, variant)


@functools.cache
def get_tree(name):
    return Tree(name)


def pytest_generate_tests(metafunc):
    """tree, flavour, use and impl come from the command line (impl: stock
    and ours), flavour and use narrowed by a marker of the same name."""
    opts = metafunc.config.option
    choices = {"tree": [t for t in opts.trees.split(",") if t],
               "flavour": opts.flavours.split(","), "use": opts.uses.split(","),
               "impl": ["stock", "ours"]}
    for name, values in choices.items():
        if name in metafunc.fixturenames:
            marker = metafunc.definition.get_closest_marker(name)
            if marker:
                values = [v for v in values if v in marker.args]
            metafunc.parametrize(name, values, indirect=name == "tree", scope="session")


def pytest_collection_modifyitems(config, items):
    """A test marked full_suite runs for the --full-suite tree only."""
    full = config.getoption("full_suite")
    keep = [i for i in items if not i.get_closest_marker("full_suite")
            or i.callspec.params.get("tree") == full]
    config.hook.pytest_deselected(items=[i for i in items if i not in keep])
    items[:] = keep


@pytest.fixture(scope="session")
def tree(request):
    return get_tree(request.param)


@pytest.fixture(scope="session")
def upstream(pytestconfig):
    """The tree of nginx's fd-table fix (c650b3ec5), where NGX_TREES has it."""
    name = pytestconfig.getoption("upstream_tree")
    if make(f"target/trees/{name}/origin").returncode != 0:
        pytest.skip(f"not run: no {name} tree in NGX_TREES "
                    f"({os.environ.get('NGX_TREES') or 'unset'})")
    return get_tree(name)


@pytest.fixture(scope="session")
def binary(tree):
    """binary(variant): the path of that build of the tree, built once."""
    return tree.binary


@pytest.fixture(scope="session")
def workers(pytestconfig):
    return pytestconfig.getoption("workers")


def expected_counts(workers):
    """The channel commands the workers of a --with-debug nginx receive in
    the scenario: worker i is told of workers 0..i-1 at start; after a
    reload the new workers are told of the old and the new ones
    (w + ... + 2w-1); the respawned worker is announced to the others.
    Every worker gets QUIT at the reload and at the end, REOPEN once."""
    return {"OPEN": sum(range(workers)) + sum(range(workers, 2 * workers)) + workers - 1,
            "QUIT": 2 * workers, "REOPEN": workers}


@pytest.fixture(scope="session")
def scenarios(workers):
    """scenarios(binary, debug): that build's scenario run, made once."""
    @functools.cache
    def scenario(binary, use="epoll", debug=True, **extra):
        return nginxrun.scenario(binary, use, workers, debug=debug, **extra)
    return scenario


# ---- the report: what the tests found, per tree --------------------------

REPORT = {}


def report(tree, key, value):
    REPORT.setdefault(tree, {"facts": {}, "tests": {}})["facts"][key] = value


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    name = getattr(item, "callspec", None) and item.callspec.params.get("tree")
    if name and (rep.when == "call" or rep.outcome != "passed"):
        tests = REPORT.setdefault(name, {"facts": {}, "tests": {}})["tests"]
        test = item.nodeid.split("::")[-1]
        if tests.get(test) in (None, "passed"):
            tests[test] = rep.outcome
    return rep


def pytest_sessionfinish(session):
    out = session.config.getoption("report")
    if out:
        with open(out, "w") as f:
            # the CPU the builds are for: a cross build's target (cpu-root.sh), else this one
            cpu = os.environ.get("CARGO_BUILD_TARGET", platform.machine()).split("-")[0]
            json.dump({"cpu": cpu, "trees": REPORT}, f, indent=1)


def pytest_terminal_summary(terminalreporter):
    stats = terminalreporter.stats
    passed = len(stats.get("passed", []))
    failed = len(stats.get("failed", [])) + len(stats.get("error", []))
    skipped = len(stats.get("skipped", []))
    terminalreporter.write_line(f"{passed} passed, {failed} failed"
                                + (f", {skipped} skipped" if skipped else ""))
