#!/usr/bin/env python3
"""usage: matrix.py REPORT.json... OUT.md

Writes docs/COMPAT.md from the reports of make compat's pytest sessions
(conftest.py's --report): a row per (tree, CPU), each cell what the tests
of that tree found.  Nothing here measures anything.
"""

import json
import subprocess
import sys
import time


def first_line(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        return "?"


def harness(h):
    return f"{h['cases']} cases, {h['checks']} checks, **{h['failed']} differences**" if h \
        else "not run"


def scenario(facts, flavour):
    st, ou = facts.get(f"scenario stock-{flavour}-epoll"), facts.get(f"scenario ours-{flavour}-epoll")
    if not st or not ou:
        return "not run"
    if "error" in st or "error" in ou:
        return f"**did not complete**: {st.get('error') or ou.get('error')}"
    keys = ["OPEN", "QUIT", "REOPEN", "exits"] if flavour == "debug" else ["exits"]
    same = "same as stock" if all(st[k] == ou[k] for k in keys) else "**differs from stock**"
    return f"{', '.join(f'{k} {ou[k]}' for k in keys)} ({same})"


def suite(s):
    if not s:
        return "not run"

    def b(x):
        return (f"{x['passed']} passed, {x['skipped']} skipped, {x['failed']} failed"
                + (f", {x['absent']} not in this suite" if x["absent"] else "") + f" ({x['ok']} ok)")
    return (f"{s['suite']}, {s['files']} files — stock: {b(s['stock'])}; ours: {b(s['ours'])}; "
            f"**{len(s['differ'])} files differ**"
            + (f"; failing with stock (and ours): {', '.join(s['failing'])}" if s["failing"] else "")
            + (f"; retried alone: {', '.join(s['retried'])}" if s["retried"] else ""))


def main():
    *reports, out = sys.argv[1:]
    rows, costs, cargo = [], [], []
    for path in reports:
        with open(path) as f:
            data = json.load(f)
        rows += [(name, data["cpu"], tree) for name, tree in data["trees"].items()]
        if "bench" in data:
            costs.append((data["cpu"], data["bench"]))
        if "cargo" in data:
            cargo.append((data["cpu"], data["cargo"]))
    lines = [
        "# Proven against: nginx trees, stock and ours",
        "",
        "Written by `make compat` (a pytest session, `-m compat`; `tests/matrix.py` writes this",
        "page from its report); do not edit. For each tree, stock nginx (its own `ngx_channel.c`)",
        "and ours (`--add-module=addon`) are built from the same source with the same flags,",
        "`--with-debug` and without, and compared: the differential harness with that tree's own",
        "`ngx_channel.c` as the reference; the master/worker scenario (4 workers, epoll: start,",
        "reload, reopen, `kill -9` of a worker, quit); the guard; the footprint; nginx's own test",
        "suite, per file. docs/TESTING.md says what each check does.",
        "",
        f"{time.strftime('%Y-%m-%d')}, Linux, {first_line(['cc', '--version'])}, "
        f"{first_line(['rustc', '--version'])}.",
        "",
        "## Trees",
        "",
        "| tree | CPU | nginx | source | `ngx_channel.c` (sha256) | read path (ours) |",
        "|---|---|---|---|---|---|",
    ]
    for name, cpu, t in rows:
        f = t["facts"]
        o = f.get("origin", {})
        lines.append(f"| {name} | {cpu} | {o.get('NAME', '—')} | {o.get('ORIGIN', f.get('not_run', '?'))} | "
                     f"`{o.get('CHANNEL_SHA256', '—')[:16]}…` | {f.get('read_path', '—')} |")
    lines += ["", "## Checks", "",
              "The layout is what `build.rs` measured in the tree (offsets, the `channel` bit,",
              "constants, the form of `ngx_log_error_core`) against nginx 1.28.3's.", "",
              "| tree | CPU | tests | layout | harness (debug) | harness (plain) | scenario (debug) "
              "| scenario (plain) | guard | footprint (debug) |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for name, cpu, t in rows:
        f, tests = t["facts"], t["tests"]
        counts = {o: sum(1 for v in tests.values() if v == o) for o in ("passed", "failed")}
        verdict = ("not run" if "not_run" in f else
                   f"{counts['passed']} passed, {counts['failed']} failed")
        fp = f.get("footprint_debug")
        lay = f.get("layout")
        lines.append(
            f"| {name} | {cpu} | {verdict} | "
            f"{'not built' if lay is None else ', '.join(f'`{k}` = {v}' for k, v in lay.items()) or 'as 1.28.3' + chr(39) + 's'} | "
            f"{harness(f.get('harness_debug'))} | {harness(f.get('harness_plain'))} | "
            f"{scenario(f, 'debug')} | {scenario(f, 'plain')} | {f.get('guard', 'not run')} | "
            + (f"text +{fp['growth']} B, exported symbols {fp['exported'][0]} = {fp['exported'][1]} |"
               if fp else "not run |"))
    lines += ["", "## nginx's test suite", "",
              "The files of `tests/test_nginx_suite.py`'s SUBSET (reloads, worker lifecycle,",
              "graceful shutdown) on every tree, the whole suite on nginx-src's; a file skips",
              "itself when this build lacks what it needs.", "",
              "| tree | CPU | subset | whole suite |", "|---|---|---|---|"]
    for name, cpu, t in rows:
        f = t["facts"]
        lines.append(f"| {name} | {cpu} | {suite(f.get('suite_subset'))} | "
                     f"{suite(f['suite_all']) if 'suite_all' in f else '—'} |")
    lines += ["", "## Cost", "",
              "User-space instructions per round trip (write, then read, of one message), by",
              "`make bench` on each CPU: nginx's C, ours, and ours/C (it fails above 1.05).",
              "x86_64's, with times: [bench/RESULTS.md](../bench/RESULTS.md).", "",
              "| CPU | fd == -1: C, ours, ours/C | passing an fd: C, ours, ours/C |", "|---|---|---|"]
    for cpu, b in costs:
        lines.append(f"| {cpu} | " + " | ".join(
            f"{b[f'C/{m}']:.0f}, {b[f'ours/{m}']:.0f}, **{b[f'ours/{m}'] / b[f'C/{m}']:.3f}**"
            for m in ("nofd", "fd")) + " |")
    lines += ["", "## cargo test on the other CPUs", "",
              "Every cargo test in the three builds (default, nginx-debug, upstream-next), by",
              "`make cpu-check` in the CPU's root; x86_64's run in `make check`.", "",
              "| CPU | passed | failed | not run |", "|---|---|---|---|"]
    for cpu, c in cargo:
        lines.append(f"| {cpu} | {c['passed']} | {c['failed']} | "
                     + (f"{len(c['not_run'])}: {c['why']}" if c["not_run"] else "0") + " |")
    problems = [f"- {name} ({cpu}): not run: {t['facts']['not_run']}" for name, cpu, t in rows
                if "not_run" in t["facts"]]
    problems += [f"- cargo test ({cpu}): not run: `{n}` ({c['why']})" for cpu, c in cargo
                 for n in c["not_run"]]
    problems += [f"- {name} ({cpu}): {test} {outcome}" for name, cpu, t in rows
                 for test, outcome in t["tests"].items() if outcome not in ("passed", "skipped")]
    lines += ["", "## Problems", ""] + (problems or ["None: every check ran and passed."])
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
