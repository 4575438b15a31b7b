"""Debian's nginx package rebuilt with ngx-channel (make deb), unpacked into
a private root (dpkg -x; the system's nginx untouched), beside Debian's own
prebuilt nginx package of the same version and Debian's own prebuilt
dynamic module packages (make deb-test: scripts/deb-test.sh).

    pytest tests/nginx/test_debian_package.py --deb-root=target/deb-test

The root holds ours/ and debian/ (each package's files) and modules/ (the
module packages').  Both binaries must take every module (the same module
signature: --with-compat, the same configure flags) and run the
master/worker scenario with all of them loaded, with the same outcome.
"""

import os
import shutil
import subprocess

import pytest

import nginxrun

# Debian's dynamic module packages: their .so, in load order (stream first)
MODULES = {
    "libnginx-mod-stream": "ngx_stream_module.so",
    "libnginx-mod-mail": "ngx_mail_module.so",
    "libnginx-mod-http-geoip": "ngx_http_geoip_module.so",
    "libnginx-mod-http-image-filter": "ngx_http_image_filter_module.so",
    "libnginx-mod-http-xslt-filter": "ngx_http_xslt_filter_module.so",
    "libnginx-mod-stream-geoip": "ngx_stream_geoip_module.so",
}
NEEDS = {"libnginx-mod-stream-geoip": ["libnginx-mod-stream"]}

# Debian's nginx has absolute temp paths under /var/lib/nginx: kept in the
# prefix here
TEMP_PATHS = "\n".join(f"    {d}_temp_path temp_{d};"
                       for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def deb(pytestconfig):
    root = pytestconfig.getoption("deb_root")
    if not root or not os.path.isdir(root):
        pytest.fail("--deb-root=target/deb-test is needed (make deb-test)")
    return os.path.abspath(root)


def nginx_of(deb, which):
    return os.path.join(deb, which, "usr", "sbin", "nginx")


def load_lines(deb, packages):
    paths = [os.path.join(deb, "modules", "usr", "lib", "nginx", "modules", MODULES[p])
             for p in MODULES if p in packages]
    return "\n".join(f"load_module {p};" for p in paths)


def configtest(deb, which, packages):
    ngx = nginxrun.Nginx(nginx_of(deb, which), main_extra=load_lines(deb, packages),
                         http_extra=TEMP_PATHS)
    try:
        r = ngx.run("-t")
        return r.returncode, r.stderr
    finally:
        ngx.stop()


@pytest.mark.parametrize("which", ["ours", "debian"])
def test_nginx_V_names_the_addon_only_in_ours(deb, which):
    r = subprocess.run([nginx_of(deb, which), "-V"], capture_output=True, text=True)
    has_addon = "/addon" in r.stderr and "--add-module=" in r.stderr
    assert has_addon == (which == "ours"), r.stderr


def test_the_packaged_binary_is_stripped(deb):
    r = subprocess.run(["readelf", "-S", nginx_of(deb, "ours")], capture_output=True, text=True)
    assert ".symtab" not in r.stdout


@pytest.mark.parametrize("which,passes", [("ours", True), ("debian", False)])
def test_the_guard_on_the_packaged_binaries(deb, tmp_path, which, passes):
    copy = tmp_path / "nginx"
    shutil.copy(nginx_of(deb, which), copy)
    r = subprocess.run([os.path.join(TOP, "addon", "guard.sh"), str(copy)],
                       capture_output=True, text=True)
    assert (r.returncode == 0, copy.exists()) == (passes, passes), r.stderr


@pytest.mark.parametrize("which", ["ours", "debian"])
@pytest.mark.parametrize("package", MODULES)
def test_debians_module_loads(deb, which, package):
    rc, err = configtest(deb, which, [package, *NEEDS.get(package, [])])
    assert rc == 0 and "test is successful" in err, err


@pytest.mark.parametrize("which", ["ours", "debian"])
def test_all_modules_load_together(deb, which):
    rc, err = configtest(deb, which, list(MODULES))
    assert rc == 0 and "test is successful" in err, err


@pytest.fixture(scope="session")
def runs(deb):
    """The scenario with every module loaded, on each binary, made once."""
    done = {}

    def run(which):
        if which not in done:
            done[which] = nginxrun.scenario(nginx_of(deb, which), debug=True,
                                            main_extra=load_lines(deb, list(MODULES)),
                                            http_extra=TEMP_PATHS)
        return done[which]
    return run


@pytest.mark.parametrize("which", ["ours", "debian"])
def test_scenario_with_the_modules(runs, workers, which):
    r = runs(which)
    assert r.error is None, r.error
    t = r.total
    assert r.requests_ok == {"start": True, "reload": True, "respawn": True}
    assert (t.kill_fallback, t.worker_signals, t.emerg) == (0, 0, 0)
    assert t.exit_signals == [9] and len(t.alerts) == 1
    assert t.exit_codes == [0] * (2 * workers) and r.left_running == 0
    opens = sum(range(workers)) + sum(range(workers, 2 * workers)) + (workers - 1)
    assert (t.command("OPEN"), t.command("QUIT"), t.command("REOPEN")) == \
        (opens, 2 * workers, workers)


def test_ours_as_debians_own(runs):
    def seen(r):
        t = r.total
        return (t.command("OPEN"), t.command("QUIT"), t.command("REOPEN"), t.sent_open,
                t.got_channel, sorted(t.exit_codes), t.exit_signals, len(t.alerts),
                r.left_running)
    assert runs("ours").error is None and runs("debian").error is None
    assert seen(runs("ours")) == seen(runs("debian"))
