"""Debian's nginx package rebuilt with ngx-channel (make deb), beside
Debian's own prebuilt nginx package of the same version and Debian's own
prebuilt dynamic module packages, downloaded from Debian's archive
(scripts/debian-apt.sh); each unpacked into a private root of
target/deb-test (dpkg -x: nothing is installed, the system's nginx is
untouched).

    pytest tests/test_debian_package.py --deb-dir=target/deb --deb-suite=SUITE

Both binaries must take every module (the same module signature:
--with-compat, the same configure flags) and run the master/worker
scenario with all of them loaded, with the same outcome.
"""

import glob
import os
import shutil
import subprocess

import pytest

import nginxrun
from conftest import TOP, expected_counts, ok

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


@pytest.fixture(scope="session")
def deb(pytestconfig):
    """target/deb-test: ours/, debian/ (each package's files), modules/."""
    suite = pytestconfig.getoption("deb_suite")
    ours = glob.glob(os.path.join(pytestconfig.getoption("deb_dir"), "nginx_*.deb"))
    if not suite or not ours:
        pytest.fail("--deb-dir=target/deb (make deb) and --deb-suite are needed", pytrace=False)
    version = ok(["dpkg-deb", "-f", ours[0], "Version"]).strip()
    root = os.path.join(TOP, "target", "deb-test")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(f"{root}/download")
    apt = [f"{TOP}/scripts/debian-apt.sh", suite, "apt-get", "-q"]
    ok([*apt, "update"])
    ok([*apt, "download", *(f"{p}={version}" for p in ["nginx", *MODULES])], cwd=f"{root}/download")
    ok(["dpkg", "-x", ours[0], f"{root}/ours"])
    for p in ["nginx", *MODULES]:
        (path,) = glob.glob(f"{root}/download/{p}_{version.split(':')[-1]}_*.deb")
        ok(["dpkg", "-x", path, f"{root}/{'debian' if p == 'nginx' else 'modules'}"])
    return root


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
def runs(deb, scenarios):
    """The scenario with every module loaded, on each binary, made once."""
    def run(which):
        return scenarios(nginx_of(deb, which), main_extra=load_lines(deb, list(MODULES)),
                         http_extra=TEMP_PATHS)
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
    assert {c: t.command(c) for c in ("OPEN", "QUIT", "REOPEN")} == expected_counts(workers)


def test_ours_as_debians_own(runs):
    def seen(r):
        t = r.total
        return (t.command("OPEN"), t.command("QUIT"), t.command("REOPEN"), t.sent_open,
                t.got_channel, sorted(t.exit_codes), t.exit_signals, len(t.alerts),
                r.left_running)
    assert runs("ours").error is None and runs("debian").error is None
    assert seen(runs("ours")) == seen(runs("debian"))
