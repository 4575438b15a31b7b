"""The Rust side: rustfmt, clippy (with std, and as the no_std C library),
rustdoc without a warning, and every cargo test, one pytest test each, in
the three builds: as for nginx 1.28.3, for an nginx --with-debug, and with
the read path of nginx's fd-table fix (upstream-next)."""

import functools
import re

import pytest

from conftest import ok, run

FEATURES = {"default": [], "nginx-debug": ["--features", "nginx-debug", "--lib"],
            "upstream-next": ["--features", "upstream-next", "--lib"]}


def test_rustfmt():
    ok(["cargo", "fmt", "--all", "--", "--check"])


@pytest.mark.parametrize("build", [["--all-targets", "--all-features"],
                                   ["--lib", "--no-default-features"]], ids=["std", "no_std"])
def test_clippy(build):
    ok(["cargo", "clippy", "--quiet", *build, "--", "-D", "warnings"])


def test_rustdoc_without_warnings():
    ok(["cargo", "doc", "--no-deps", "--quiet"], env_extra={"RUSTDOCFLAGS": "-D warnings"})


@functools.cache
def cargo_tests(features, list_only=False):
    """{test name: outcome} of cargo test in one build."""
    extra = ["--quiet", "--", "--list", "--format", "terse"] if list_only else []
    out = run(["cargo", "test", *FEATURES[features], *extra], timeout=900).stdout
    if list_only:
        return dict.fromkeys(re.findall(r"^(.+): test$", out, re.M), "listed")
    return dict(re.findall(r"^test (.+) \.\.\. (\w+)", out, re.M))


def pytest_generate_tests(metafunc):
    if "cargo_test" in metafunc.fixturenames:
        params = [(f, name) for f in FEATURES for name in cargo_tests(f, list_only=True)]
        metafunc.parametrize("features,cargo_test", params,
                             ids=[f"{f}:{n}" for f, n in params])


def test_cargo(features, cargo_test):
    assert cargo_tests(features).get(cargo_test) == "ok"
