#!/usr/bin/env python3
"""make compat: every nginx tree, stock and ours, side by side.

    compat.py [--out docs/COMPAT.md] [--full-suite TREE] [--matrix-only] [TREE...]

Trees: those named, or nginx-src's, Debian's (bookworm, trixie, sid) and
every tarball or tree in NGX_TREES (scripts/nginx-fetch.sh).  For each
one, stock (nginx's own ngx_channel.c) and ours (--add-module=addon) are
built from the same source with the same flags, --with-debug (and plain for
the oldest and the newest nginx), then:

  harness    the differential harness, that tree's ngx_channel.c as the
             reference: 0 differences
  scenario   start, reload, reopen, kill -9 of a worker, quit (epoll):
             the same counts and outcome on stock and ours
  guard      ours passes addon/guard.sh, stock is refused and removed
  footprint  text growth, exported symbols (+0)
  suite      nginx's own tests (NGINX_TESTS; NGINX_TESTS_2022 for nginx
             older than 1.19.5), the files of test_nginx_suite.SUBSET:
             per file, the same result on stock and ours

A tree whose stock nginx does not build with nginx's own -Werror here is
built with --with-cc-opt=-Wno-error, stock and ours alike, and the matrix
says why.  Writes the matrix (--out) and exits non-zero when any check
failed or could not run.  Logs: target/compat/TREE/.
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTEST = os.path.join(TOP, "target", "venv", "bin", "pytest")
DEBIAN = ["debian-bookworm", "debian-trixie", "debian-sid"]
LEAST_FLAG = "--with-cc-opt=-Wno-error"


def crate_tree():
    lock = open(os.path.join(TOP, "tools", "nginx-src", "Cargo.lock")).read()
    m = re.search(r'name = "nginx-src"\nversion = "[^"]*\+([^"]*)"', lock)
    return f"nginx-{m[1]}"


def found_trees():
    """nginx-src's, Debian's, then every tarball or tree in NGX_TREES."""
    trees = [crate_tree(), *DEBIAN]
    for entry in os.environ.get("NGX_TREES", "").split():
        cands = [entry] if (entry.endswith(".tar.gz") or
                            os.path.exists(os.path.join(entry, "src/core/nginx.h"))) \
            else sorted(glob.glob(os.path.join(entry, "*.tar.gz")) +
                        [d for d in glob.glob(os.path.join(entry, "*"))
                         if os.path.exists(os.path.join(d, "src/core/nginx.h"))])
        for c in cands:
            name = os.path.basename(c)[:-len(".tar.gz")] if c.endswith(".tar.gz") \
                else os.path.basename(c)
            if name not in trees:
                trees.append(name)
    return trees


class Tree:
    def __init__(self, name):
        self.name = name
        self.dir = os.path.join(TOP, "target", "compat", name)
        os.makedirs(self.dir, exist_ok=True)
        self.root = os.path.join(TOP, "target", "nginx", name)
        self.row = {"tree": name, "problems": []}

    def log(self, what):
        return os.path.join(self.dir, f"{what}.log")

    def make(self, what, *targets, jobs=2):
        """make TREE=name targets, output to target/compat/name/what.log."""
        with open(self.log(what), "w") as f:
            r = subprocess.run(["make", "--no-print-directory", f"-j{jobs}",
                                f"TREE={self.name}", *targets],
                               cwd=TOP, stdout=f, stderr=subprocess.STDOUT)
        return r.returncode == 0

    def text(self, what):
        with open(self.log(what), errors="replace") as f:
            return f.read()

    def problem(self, text):
        self.row["problems"].append(text)

    def binary(self, variant):
        return os.path.join(self.root, variant, "binary")


def first_error(log):
    """The first compiler or configure error of a build log, in one line."""
    for line in log.splitlines():
        if re.search(r"error:|Error \d", line):
            return re.sub(r"\s+", " ", line.strip())[:200]
    return log.strip().splitlines()[-1][:200] if log.strip() else "(no output)"


def version_key(version):
    m = re.search(r"nginx (\d+)\.(\d+)\.(\d+)", version) or \
        re.search(r"(\d+)\.(\d+)\.(\d+)\)", version)
    return tuple(int(x) for x in m.groups()) if m else (0, 0, 0)


def fetch(t):
    if not t.make("fetch", f"target/trees/{t.name}/origin", jobs=1):
        t.problem(f"cannot fetch: {first_error(t.text('fetch'))}")
        return False
    with open(os.path.join(TOP, "target", "trees", t.name, "origin")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition(": ")
            t.row[k] = v
    return True


def build(t, flavours):
    """Stock first: when it does not build as nginx ships it, the least flag
    that makes it build, for stock and ours alike."""
    extra = os.path.join(TOP, "target", "trees", t.name, "extra-flags")
    if os.path.exists(extra):
        os.remove(extra)
    stock = [f"target/nginx/{t.name}/stock-{f}/binary" for f in flavours]
    ours = [f"target/nginx/{t.name}/ours-{f}/binary" for f in flavours]
    if not t.make("build-stock", *stock):
        reason = first_error(t.text("build-stock"))
        with open(extra, "w") as f:
            f.write(LEAST_FLAG + "\n")
        if not t.make("build-stock", *stock):
            t.problem(f"stock does not build, not even with {LEAST_FLAG}: "
                      f"{first_error(t.text('build-stock'))}")
            return False
        t.row["build"] = f"needs {LEAST_FLAG} (stock and ours): {reason}"
    else:
        t.row["build"] = "as shipped"
    if not t.make("build-ours", *ours):
        t.problem(f"ours does not build: {first_error(t.text('build-ours'))}")
        return False
    return True


def harness(t, flavour):
    target = f"target/harness/{t.name}/ours-{flavour}/harness"
    if not t.make(f"harness-{flavour}", target):
        t.problem(f"harness ({flavour}) does not build: "
                  f"{first_error(t.text(f'harness-{flavour}'))}")
        return None
    with open(t.log(f"harness-{flavour}-run"), "w") as f:
        subprocess.run([os.path.join(TOP, target)], cwd=TOP, stdout=f,
                       stderr=subprocess.STDOUT, timeout=600)
    out = t.text(f"harness-{flavour}-run")
    m = re.search(r"^harness: (\d+) passed, (\d+) failed", out, re.M)
    if not m:
        t.problem(f"harness ({flavour}) did not finish")
        return None
    cases = len(re.findall(r"^case ", out, re.M))
    r = {"checks": int(m[1]) + int(m[2]), "cases": cases, "failed": int(m[2])}
    if r["failed"]:
        t.problem(f"harness ({flavour}): {r['failed']} checks differ")
    return r


def pytest(t, what, *args):
    out = os.path.join(t.dir, f"{what}.json")
    if os.path.exists(out):
        os.remove(out)
    with open(t.log(what), "w") as f:
        r = subprocess.run([PYTEST, "-p", "no:cacheprovider", *args,
                            f"--nginx-root={t.root}", f"--results={out}"],
                           cwd=TOP, stdout=f, stderr=subprocess.STDOUT)
    m = re.search(r"nginx tests: (\d+) passed, (\d+) failed", t.text(what))
    results = None
    if os.path.exists(out):
        with open(out) as f:
            results = json.load(f)
    return r.returncode == 0, (int(m[1]), int(m[2])) if m else None, results


def scenario(t, flavours):
    ok, counts, runs = pytest(t, "scenario", "tests/nginx/test_scenario.py",
                              f"--flavours={','.join(flavours)}", "--uses=epoll")
    if not ok or counts is None:
        t.problem(f"scenario: {counts[1] if counts else 'no'} checks failed "
                  f"(target/compat/{t.name}/scenario.log)")
    return {"passed": counts[0] if counts else 0, "failed": counts[1] if counts else None,
            "runs": runs or {}}


def guard(t):
    d = os.path.join(t.dir, "guard")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    res = {}
    for v in ("ours-debug", "stock-debug"):
        copy = os.path.join(d, v)
        shutil.copy(t.binary(v), copy)
        rc = subprocess.run([os.path.join(TOP, "addon", "guard.sh"), copy],
                            capture_output=True).returncode
        res[v] = (rc == 0, os.path.exists(copy))
    ok = res["ours-debug"] == (True, True) and res["stock-debug"] == (False, False)
    if not ok:
        t.problem(f"guard: {res}")
    return ok


def read_path(t):
    """The read path the addon chose for this tree's ours (the features it
    gave cargo, in objs/Makefile): the tree's own ngx_channel.c decides."""
    with open(os.path.join(t.root, "ours-debug", "objs", "Makefile")) as f:
        fixed = re.search(r'NGX_CHANNEL_FEATURES=".*upstream-next', f.read())
    return ("upstream-next (nginx's fd-table fix)" if fixed
            else "nginx 1.28's (before the fd-table fix)")


def layout(t):
    """What build.rs measured in this tree (the layout the addon's library
    uses) against nginx 1.28.3's, the default: the names that differ."""
    def consts(path):
        with open(path) as f:
            return dict(re.findall(r"^pub\(crate\) const (\w+): \w+ = (\S+);", f.read(), re.M))
    measured = consts(os.path.join(t.root, "ours-debug", "objs", "ngx_channel_rs", "layout.rs"))
    default = consts(os.path.join(TOP, "src", "nginx", "layout.rs"))
    return {k: measured.get(k) for k in sorted(set(measured) | set(default))
            if measured.get(k) != default.get(k)}


def footprint(t):
    r = subprocess.run([os.path.join(TOP, "scripts", "footprint.sh"),
                        t.binary("stock-debug"), t.binary("ours-debug")],
                       capture_output=True, text=True)
    text = re.search(r"^text: stock (\d+), ours (\d+), growth (-?\d+)", r.stdout, re.M)
    syms = re.search(r"^exported symbols: stock (\d+), ours (\d+)", r.stdout, re.M)
    if r.returncode != 0 or not text or not syms:
        t.problem(f"footprint: {r.stdout.strip().splitlines()[-3:]}")
    return {"growth": int(text[3]) if text else None,
            "exported": (int(syms[1]), int(syms[2])) if syms else None}


def suite(t, suites, files):
    """nginx-tests with stock and ours; None when it cannot run here."""
    old = version_key(t.row.get("version", "")) < (1, 19, 5)
    which = "2022" if old else "current"
    var = "NGINX_TESTS_2022" if old else "NGINX_TESTS"
    if not suites.get(which):
        t.row["suite"] = f"not run: {var} is not set"
        t.problem(t.row["suite"])
        return None
    ok, counts, results = pytest(t, f"suite-{files}", "tests/nginx/test_nginx_suite.py",
                                 f"--suite={suites[which]}", f"--suite-files={files}")
    if results is None:
        t.problem(f"nginx-tests ({files}) did not run (target/compat/{t.name}/suite-{files}.log)")
        return None
    summary = {"suite": f"nginx-tests {'2022' if old else '2026'}", "files": len(results)}
    for b in ("stock", "ours"):
        rs = [r[b] for r in results.values()]
        summary[b] = {
            "absent": sum(1 for r in rs if r.get("absent")),
            "skipped": sum(1 for r in rs if r.get("skip_all") is not None),
            "failed": sum(1 for r in rs if not r.get("absent") and r.get("skip_all") is None
                          and (r.get("failed") or r.get("exit") or r.get("timeout"))),
            "ok": sum(r.get("ok", 0) for r in rs),
        }
        summary[b]["passed"] = (len(rs) - summary[b]["absent"] - summary[b]["skipped"]
                                - summary[b]["failed"])
    summary["differ"] = sum(1 for r in results.values() if r["stock"] != r["ours"])
    summary["failed_files"] = sorted(
        n for n, r in results.items()
        if not r["stock"].get("absent") and r["stock"].get("skip_all") is None
        and (r["stock"].get("failed") or r["stock"].get("exit") or r["stock"].get("timeout")))
    summary["retried"] = sorted(n for n, r in results.items() if r.get("retried"))
    if summary["differ"] or not ok:
        t.problem(f"nginx-tests ({files}): {summary['differ']} files differ")
    return summary


def check(name, suites, oldest_newest, full_suite):
    t = Tree(name)
    start = time.monotonic()
    print(f"== {name}", flush=True)
    if fetch(t):
        plain = name in oldest_newest
        flavours = ["debug", "plain"] if plain else ["debug"]
        t.row["flavours"] = flavours
        if build(t, flavours):
            t.row["harness"] = {f: harness(t, f) for f in flavours}
            t.row["scenario"] = scenario(t, flavours)
            t.row["guard"] = guard(t)
            t.row["layout"] = layout(t)
            t.row["read path"] = read_path(t)
            t.row["footprint"] = footprint(t)
            t.row["suite_subset"] = suite(t, suites, "subset")
            if name == full_suite:
                t.row["suite_all"] = suite(t, suites, "all")
    t.row["seconds"] = round(time.monotonic() - start)
    for p in t.row["problems"]:
        print(f"   PROBLEM {p}", flush=True)
    print(f"   {t.row['seconds']} s", flush=True)
    return t.row


def prefetch_versions(names):
    """Fetches every tree first: the oldest and the newest get plain builds."""
    versions = {}
    for n in names:
        t = Tree(n)
        if fetch(t):
            versions[n] = version_key(t.row["version"])
    if not versions:
        return set()
    lo, hi = min(versions.values()), max(versions.values())
    return {n for n, v in versions.items() if v in (lo, hi)}


# ---- the matrix ------------------------------------------------------------

def cell_harness(h):
    if not h:
        return "not run"
    return f"{h['cases']} cases, {h['checks']} checks, **{h['failed']} differences**"


def cell_scenario(s, flavours):
    if not s or s["failed"] is None:
        return "did not run"
    runs = s["runs"]
    parts = []
    for f in flavours:
        st, ou = runs.get(f"stock-{f}-epoll"), runs.get(f"ours-{f}-epoll")
        if not st or not ou:
            continue
        if f == "debug":
            parts.append(f"OPEN {ou['OPEN']}, QUIT {ou['QUIT']}, REOPEN {ou['REOPEN']}, "
                         f"exits {ou['exits']} (stock: {st['OPEN']}/{st['QUIT']}/"
                         f"{st['REOPEN']}/{st['exits']})")
        else:
            parts.append(f"plain: exits {ou['exits']} (stock {st['exits']})")
    verdict = "same as stock" if s["failed"] == 0 else f"**{s['failed']} checks failed**"
    return f"{s['passed']} checks, {verdict}: " + "; ".join(parts)


def cell_suite(s):
    if s is None:
        return "not run"
    def b(x):
        return (f"{x['passed']} passed, {x['skipped']} skipped, {x['failed']} failed"
                + (f", {x['absent']} not in this suite" if x["absent"] else "") + f" ({x['ok']} ok)")
    retried = f"; retried alone: {', '.join(s['retried'])}" if s["retried"] else ""
    failed = (f"; failing with stock (and ours): {', '.join(s['failed_files'])}"
              if s.get("failed_files") else "")
    return (f"{s['suite']}, {s['files']} files — stock: {b(s['stock'])}; ours: {b(s['ours'])}; "
            f"**{s['differ']} files differ**{failed}{retried}")


def write_matrix(rows, out, seconds):
    lines = [
        "# Proven against: nginx trees, stock and ours",
        "",
        "Written by `make compat` (`scripts/compat.py`); do not edit. For each tree, stock",
        "nginx (its own `ngx_channel.c`) and ours (`--add-module=addon`) are built from the",
        "same source with the same flags (`--with-debug`, and without for the oldest and",
        f"the newest nginx; `{flags_of(rows)}`),",
        "and compared: the differential harness with that tree's own `ngx_channel.c` as the",
        "reference; the master/worker scenario (4 workers, epoll: start, reload, reopen,",
        "`kill -9` of a worker, quit); the guard; the footprint; nginx's own test suite,",
        "per file. docs/TESTING.md says what each check does.",
        "",
        f"{time.strftime('%Y-%m-%d')}, x86_64 Linux, {machine()}; `make compat` took "
        f"{seconds // 60} min {seconds % 60} s.",
        "",
        "## Trees",
        "",
        "| tree | nginx | source | `ngx_channel.c` (sha256) | read path (ours) | build |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['tree']} | {r.get('version', '?')} | {r.get('origin', '?')} | "
                     f"`{r.get('ngx_channel.c', '?').replace('sha256 ', '')[:16]}…` | "
                     f"{r.get('read path', '?')} | {r.get('build', 'not built')} |")
    lines += ["", "## Checks", "",
              "The layout is what `build.rs` measured in the tree (offsets, the `channel` bit,",
              "constants, the form of `ngx_log_error_core`) against nginx 1.28.3's.", "",
              "| tree | layout | harness (debug) | harness (plain) | scenario | guard | footprint (debug) |",
              "|---|---|---|---|---|---|---|"]
    for r in rows:
        h = r.get("harness", {})
        fp = r.get("footprint") or {}
        growth = f"text +{fp['growth']} B" if fp.get("growth") is not None else "not run"
        exported = (f", exported symbols {fp['exported'][0]} = {fp['exported'][1]}"
                    if fp.get("exported") else "")
        guard = {True: "ours kept, stock removed", False: "**failed**"}.get(r.get("guard"), "not run")
        lay = r.get("layout")
        lay = ("not built" if lay is None else "as 1.28.3's" if not lay else
               ", ".join(f"`{k}` = {v}" for k, v in lay.items()))
        lines.append(f"| {r['tree']} | {lay} | {cell_harness(h.get('debug'))} | "
                     f"{cell_harness(h.get('plain')) if 'plain' in h else 'not built (neither oldest nor newest)'} | "
                     f"{cell_scenario(r.get('scenario'), r.get('flavours', []))} | {guard} | "
                     f"{growth}{exported} |")
    lines += ["", "## nginx's test suite", "",
              "The files of `tests/nginx/test_nginx_suite.py`'s SUBSET (reloads, worker",
              "lifecycle, graceful shutdown); a file skips itself when this build lacks",
              "what it needs. `make nginx-tests-full` runs every file.", "",
              "| tree | subset | whole suite |", "|---|---|---|"]
    for r in rows:
        full = cell_suite(r["suite_all"]) if "suite_all" in r else "—"
        lines.append(f"| {r['tree']} | {cell_suite(r.get('suite_subset'))} | {full} |")
    problems = [(r["tree"], p) for r in rows for p in r["problems"]]
    lines += ["", "## Problems", ""]
    lines += [f"- {tree}: {p}" for tree, p in problems] or ["None: every check ran and passed."]
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


def flags_of(rows):
    """The configure flags every build shares (NGX_FLAGS), as a build used them."""
    for r in rows:
        path = os.path.join(TOP, "target", "nginx", r["tree"], "stock-plain.flags")
        if os.path.exists(path):
            return open(path).readline().strip().replace(f" {LEAST_FLAG}", "")
    return "?"


def machine():
    def first(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0]
        except (OSError, IndexError):
            return "?"
    return f"{first(['cc', '--version'])}, {first(['rustc', '--version'])}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trees", nargs="*")
    ap.add_argument("--out", default=os.path.join(TOP, "docs", "COMPAT.md"))
    ap.add_argument("--matrix-only", action="store_true",
                    help="rewrite the matrix from the last run's results")
    ap.add_argument("--full-suite", default=crate_tree(),
                    help="the tree whose whole nginx-tests run too (default: nginx-src's)")
    args = ap.parse_args()
    names = args.trees or found_trees()
    suites = {}
    for which, var in (("current", "NGINX_TESTS"), ("2022", "NGINX_TESTS_2022")):
        if os.environ.get(var):
            if subprocess.run(["make", "--no-print-directory", f"target/nginx-tests/{which}/README"],
                              cwd=TOP).returncode == 0:
                suites[which] = os.path.join(TOP, "target", "nginx-tests", which)
    saved = os.path.join(TOP, "target", "compat", "rows.json")
    if args.matrix_only:
        with open(saved) as f:
            data = json.load(f)
        rows, seconds = data["rows"], data["seconds"]
    else:
        start = time.monotonic()
        ends = prefetch_versions(names)
        rows = [check(n, suites, ends, args.full_suite) for n in names]
        seconds = round(time.monotonic() - start)
        with open(saved, "w") as f:
            json.dump({"rows": rows, "seconds": seconds}, f, indent=1)
    write_matrix(rows, args.out, seconds)
    bad = [r["tree"] for r in rows if r["problems"]]
    print(f"compat: {len(rows) - len(bad)} passed, {len(bad)} failed"
          + (f" ({', '.join(bad)})" if bad else ""))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
