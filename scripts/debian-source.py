#!/usr/bin/env python3
"""usage: debian-source.py SUITE DIR

Unpacks Debian's nginx source package of SUITE into DIR/nginx-* with
Debian's patches applied (`apt-get source` through scripts/debian-apt.sh,
a private apt configuration on the archive apt's own sources name), and
prints one line saying which version.  It takes the version the suite's
signed index lists, and no other: when the archive does not serve that
version's files it says which, and exits 3 (make compat reports the tree
as not run, with that reason).
"""

import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOT_SERVED = 3


def apt(suite, *args, cwd=None):
    return subprocess.run([os.path.join(TOP, "scripts", "debian-apt.sh"), suite, *args],
                          cwd=cwd, capture_output=True, text=True)


def main():
    suite, dest = sys.argv[1:3]
    r = apt(suite, "apt-get", "-q", "update")
    if r.returncode != 0:
        sys.exit(f"debian-source.py: apt-get update ({suite}) failed:\n{r.stdout}{r.stderr}")
    listed = re.findall(r"^Version: (\S+)", apt(suite, "apt-cache", "showsrc", "nginx").stdout,
                        re.M)
    if not listed:
        sys.exit(f"debian-source.py: {suite}'s index lists no nginx source package")
    r = apt(suite, "apt-get", "-q", "source", f"nginx={listed[0]}", cwd=dest)
    if r.returncode == 0:
        print(f"Debian {suite} source package nginx {listed[0]}, Debian's patches applied")
        return
    missing = re.findall(r"Failed to fetch \S*/(\S+?)\s+404", r.stdout + r.stderr)
    if missing:
        files = ", ".join(sorted({m.replace("%2b", "+") for m in missing}))
        print(f"debian-source.py: Debian {suite}'s index lists nginx {listed[0]}, but the "
              f"archive does not serve {files}", file=sys.stderr)
        sys.exit(NOT_SERVED)
    sys.exit(f"debian-source.py: apt-get source nginx={listed[0]} ({suite}) failed:\n"
             f"{r.stdout}{r.stderr}")


if __name__ == "__main__":
    main()
