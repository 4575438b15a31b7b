#!/usr/bin/env python3
"""usage: debian-source.py SUITE DIR

Unpacks Debian's nginx source package of SUITE into DIR/nginx-* with
Debian's patches applied, and prints one line saying which version and how
it was fetched.  Through scripts/debian-apt.sh (a private apt
configuration): the version the suite's signed index lists, with
`apt-get source`.  When the archive does not serve that version's files
(a partial mirror), the newest older version of the same upstream release
line that it does serve: its .dsc fetched directly, every file checked
against the .dsc's SHA-256, and what dpkg-source says of the .dsc's
signature (with debian-keyring installed) reported.
"""

import hashlib
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")


def apt(suite, *args, cwd=None):
    return subprocess.run([os.path.join(TOP, "scripts", "debian-apt.sh"), suite, *args],
                          cwd=cwd, capture_output=True, text=True)


def older_versions(version):
    """Debian versions of the same upstream major.minor below `version`,
    newest first: 1.26.3-3+deb13u10 -> ...u9 ... u1, 1.26.3-3, -2, -1,
    1.26.2-9 ... 1.26.0-1."""
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)-(\d+)(?:\+deb(\d+)u(\d+))?", version)
    if not m:
        return []
    major, minor, patch, rev = (int(x) for x in m.groups()[:4])
    out = []
    if m.group(5):
        out += [f"{major}.{minor}.{patch}-{rev}+deb{m.group(5)}u{u}"
                for u in range(int(m.group(6)) - 1, 0, -1)]
        out.append(f"{major}.{minor}.{patch}-{rev}")
    out += [f"{major}.{minor}.{patch}-{r}" for r in range(rev - 1, 0, -1)]
    for p in range(patch - 1, -1, -1):
        out += [f"{major}.{minor}.{p}-{r}" for r in range(9, 0, -1)]
    return out


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()


def direct(suite, version, dest):
    """Downloads the .dsc of `version` and its files, checks them against
    the .dsc's SHA-256 and unpacks them; None when the archive does not
    have it, else what dpkg-source said of the .dsc's signature."""
    pool = f"{MIRROR}/pool/main/n/nginx"
    try:
        dsc = fetch(f"{pool}/nginx_{version}.dsc")
    except urllib.error.HTTPError:
        return None
    name = f"nginx_{version}.dsc"
    with open(os.path.join(dest, name), "wb") as f:
        f.write(dsc)
    text = dsc.decode()
    files = re.findall(r"^ ([0-9a-f]{64}) \d+ (\S+)$",
                       text.split("Checksums-Sha256:")[1].split("\n\n")[0].split("Files:")[0],
                       re.M)
    for sha, fname in files:
        data = fetch(f"{pool}/{fname}")
        if hashlib.sha256(data).hexdigest() != sha:
            sys.exit(f"debian-source.py: {fname}: SHA-256 differs from {name}'s")
        with open(os.path.join(dest, fname), "wb") as f:
            f.write(data)
    r = subprocess.run(["dpkg-source", "-x", name], cwd=dest, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"debian-source.py: dpkg-source -x {name} failed:\n{r.stdout}{r.stderr}")
    good = re.search(r'Good signature from "([^"]*)"', r.stdout + r.stderr)
    return f"signed by {good[1]}" if good else "its signature could not be checked here"


def main():
    suite, dest = sys.argv[1:3]
    r = apt(suite, "apt-get", "-q", "update")
    if r.returncode != 0:
        sys.exit(f"debian-source.py: apt-get update ({suite}) failed:\n{r.stdout}{r.stderr}")
    r = apt(suite, "apt-cache", "showsrc", "nginx")
    listed = re.findall(r"^Version: (\S+)", r.stdout, re.M)
    if not listed:
        sys.exit(f"debian-source.py: {suite}'s index lists no nginx source package")
    version = listed[0]
    r = apt(suite, "apt-get", "-q", "source", f"nginx={version}", cwd=dest)
    if r.returncode == 0:
        print(f"Debian {suite} source package nginx {version}, Debian's patches applied")
        return
    for older in older_versions(version):
        signature = direct(suite, older, dest)
        if signature:
            print(f"Debian {suite} source package nginx {older}, Debian's patches applied "
                  f"({suite}'s index lists {version}, whose files {MIRROR} does not serve; "
                  f"{older} is the newest it serves: files checked against its .dsc, "
                  f"{signature})")
            return
    sys.exit(f"debian-source.py: {MIRROR} serves neither nginx {version} of {suite} "
             f"nor an older {version.rsplit('.', 1)[0]}:\n{r.stdout}{r.stderr}")


if __name__ == "__main__":
    main()
