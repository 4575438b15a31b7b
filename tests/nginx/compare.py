#!/usr/bin/env python3
"""Runs the same nginx scenario on two builds from the same source and
configure flags, nginx's own C (stock) and ngx-channel (ours), and checks
what is deterministic on each and between them.

    compare.py STOCK OURS --use epoll|poll|select --debug 0|1 [--load N]

Ends with "N passed, M failed".
"""

import argparse
import json
import sys

import scenario

passed = failed = 0


def check(ok, name, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok    {name}")
    else:
        failed += 1
        print(f"FAIL  {name}  {detail}")


def run(binary, args):
    a = argparse.Namespace(nginx=binary, use=args.use, workers=args.workers,
                           debug=args.debug, load=args.load, json=None)
    return scenario.scenario(a)


def checks_on(label, r, args):
    w = args.workers
    check(r["ok"], f"{label}: scenario ran", r.get("error", ""))
    if not r["ok"]:
        return
    t = r["total"]
    ph = {p["phase"]: p for p in r["phases"]}
    check(r["request_ok"] and r["reload_ok"] and r["respawn_ok"],
          f"{label}: served requests after start, reload and respawn")
    check(t["kill_fallback"] == 0, f"{label}: no 'kill (' fallback line",
          t["kill_fallback"])
    check(t["worker_signals"] == 0,
          f"{label}: no worker got a signal: every command came by channel",
          t["worker_signals"])
    check(ph["reopen"]["reopen_workers"] == w, f"{label}: every worker reopened its logs")
    killed = 1 + (r["load"]["kills"] if args.load else 0)
    check(t["exit_signals"] == [9] * killed,
          f"{label}: only the {killed} killed worker(s) died by signal", t["exit_signals"])
    check(len(t["alerts"]) == killed and all("exited on signal 9" in a for a in t["alerts"]),
          f"{label}: no alert but the killed workers'", t["alerts"])
    check(t["emerg"] == 0, f"{label}: no emerg line")
    check(t["exit_codes"] and set(t["exit_codes"]) == {0},
          f"{label}: workers exited with code 0", t["exit_codes"])
    if args.load == 0:
        check(len(t["exit_codes"]) == 2 * w,
              f"{label}: {2 * w} graceful worker exits (reload, quit)", t["exit_codes"])
    check(r["left_running"] == 0, f"{label}: no worker left running after quit")
    if args.debug:
        rec = t["received"]
        if args.load == 0:
            opens = sum(range(w)) + sum(range(w, 2 * w)) + (w - 1)
            check(rec.get("1") == opens, f"{label}: channel command: 1 (OPEN) x{opens}", rec)
            check(rec.get("3") == 2 * w, f"{label}: channel command: 3 (QUIT) x{2 * w}", rec)
        check(rec.get("5") == w, f"{label}: channel command: 5 (REOPEN) x{w}", rec)
        check(rec.get("2", 0) > 0, f"{label}: channel command: 2 (CLOSE) > 0", rec)
        check(t["sent_open"] == rec.get("get", 0) == rec.get("1"),
              f"{label}: pass channel = get channel = OPEN received",
              (t["sent_open"], rec.get("get"), rec.get("1")))
    else:
        check(t["debug_lines"] == 0,
              f"{label}: no debug line in a non-debug nginx with error_log debug",
              t["debug_lines"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stock")
    ap.add_argument("ours")
    ap.add_argument("--use", default="epoll")
    ap.add_argument("--debug", type=int, default=1)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--load", type=int, default=0)
    ap.add_argument("--json")
    args = ap.parse_args()

    stock = run(args.stock, args)
    ours = run(args.ours, args)
    tag = f"{args.use}{' debug' if args.debug else ''}{' load' if args.load else ''}"
    checks_on(f"stock {tag}", stock, args)
    checks_on(f"ours  {tag}", ours, args)

    if stock["ok"] and ours["ok"]:
        s, o = stock["total"], ours["total"]
        if args.load == 0:
            for k in ("1", "3", "5"):
                check(s["received"].get(k) == o["received"].get(k),
                      f"same as stock: channel command: {k}",
                      (s["received"].get(k), o["received"].get(k)))
            check(s["sent_open"] == o["sent_open"], "same as stock: pass channel",
                  (s["sent_open"], o["sent_open"]))
            check(len(s["exit_codes"]) == len(o["exit_codes"]),
                  "same as stock: worker exits")
        check(len(s["alerts"]) == len(o["alerts"]), "same as stock: alerts",
              (s["alerts"], o["alerts"]))
        if args.load:
            ls, lo = stock["load"], ours["load"]
            check(lo["reloads"] >= args.load and ls["reloads"] >= args.load,
                  f"both took every one of the {args.load} reloads",
                  (ls["reloads"], lo["reloads"]))
            print(f"      load: stock {ls}, master fds {stock['master_fds_start']}"
                  f" -> {stock['master_fds_end']}")
            print(f"      load: ours  {lo}, master fds {ours['master_fds_start']}"
                  f" -> {ours['master_fds_end']}")
            check(ours["master_fds_end"] - ours["master_fds_start"]
                  <= stock["master_fds_end"] - stock["master_fds_start"],
                  "no worse than stock: master fds before/after",
                  (stock["master_fds_start"], stock["master_fds_end"],
                   ours["master_fds_start"], ours["master_fds_end"]))
            check(lo["failed"] <= ls["failed"] + max(2, ls["requests"] // 500),
                  "no worse than stock: failed requests (noise band: 0.2%, at least 2)",
                  (ls, lo))
            check(ours["left_running"] <= stock["left_running"],
                  "no worse than stock: workers left running")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"stock": stock, "ours": ours}, f, indent=1)
    print(f"compare {tag}: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
