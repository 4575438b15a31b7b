#!/usr/bin/env python3
"""A reload into workers whose fd table is full (nginx PR 1662's case).

    fdfull.py STOCK OURS OURS_UPSTREAM_NEXT

nginx with 4 workers and worker_rlimit_nofile 64 is given more keepalive
connections on 127.0.0.1 than its workers can hold, so every worker's fd
table is full (accept() fails with EMFILE).  Then a reload: the
OPEN_CHANNEL messages announcing the new workers reach old workers with no
free slot, and Linux drops the fd (MSG_CTRUNC).  Each build then gets a
bounded time for its old workers to exit.

Checked: ours without the feature behaves as stock nginx 1.28.3 (the same
old workers left running, the same channel alerts); ours with upstream-next
has every old worker log "gracefully shutting down" and exit with code 0,
none left to SIGKILL.  Ends with "N passed, M failed".
"""

import os
import signal
import socket
import sys
import time

import scenario

LIMIT = 64   # worker_rlimit_nofile
CLIENTS = 320  # more connections than 4 workers can hold
GRACE = 6    # seconds the old workers get to exit after the reload


def fds_of(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def fill(ng):
    """Keepalive connections until every worker's fd table is full."""
    conns = []
    for _ in range(CLIENTS):
        s = socket.create_connection(("127.0.0.1", ng.port), timeout=2)
        s.setblocking(False)
        s.send(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        conns.append(s)
    workers = scenario.children(ng.master)
    scenario.wait_for("every worker's fd table to fill",
                      lambda: all(fds_of(p) >= LIMIT for p in workers), timeout=10)
    return conns


def run(binary):
    ng = scenario.Nginx(binary, "epoll", 4, connections=1024,
                        main_extra=f"worker_rlimit_nofile {LIMIT};")
    r = {}
    conns = []
    try:
        old = ng.start()
        scenario.wait_for("OPEN_CHANNEL delivered",
                          lambda: scenario.counts(ng, 0, None, ng.master)["received"]
                          .get("1", 0) >= 6)
        conns = fill(ng)
        r["full_workers"] = sum(1 for p in old if fds_of(p) >= LIMIT)
        mark = ng.log_size()
        os.kill(ng.master, signal.SIGHUP)
        # the new workers start whatever the old ones do
        scenario.wait_for("the new workers",
                          lambda: len(set(scenario.children(ng.master)) - set(old)) >= 4)
        end = time.monotonic() + GRACE
        while time.monotonic() < end and any(scenario.alive(p) for p in old):
            time.sleep(0.05)
        r["left_running"] = sum(1 for p in old if scenario.alive(p))
        c = scenario.counts(ng, mark, None, ng.master)
        lines = list(ng.lines(mark))
        # the old workers' lines only: new ones may fill up too, by chance
        r["too_small"] = sum(1 for _, pid, m in lines if pid in old and
                             m.startswith("recvmsg() returned too small ancillary data"))
        r["truncated"] = sum(1 for _, pid, m in lines
                             if pid in old and m == "recvmsg() truncated data")
        r["graceful"] = c["graceful_workers"]
        r["exit_codes"] = c["exit_codes"]
        r["ok"] = True
    except Exception as e:  # reported; everything is still stopped
        r["ok"] = False
        r["error"] = f"{type(e).__name__}: {e}"
    finally:
        for s in conns:
            s.close()
        ng.stop()
    return r


def main():
    stock, ours, upstream = sys.argv[1:4]
    passed = failed = 0

    def check(ok, name, detail=""):
        nonlocal passed, failed
        passed += bool(ok)
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'}  {name}  {detail if not ok else ''}")

    res = {name: run(b) for name, b in
           (("stock", stock), ("ours", ours), ("ours+upstream-next", upstream))}
    for name, r in res.items():
        print(f"  {name:<20} {r}")
    s, o, u = res["stock"], res["ours"], res["ours+upstream-next"]
    check(all(r["ok"] for r in res.values()), "all three runs completed",
          [r.get("error") for r in res.values()])
    if failed:
        print(f"fdfull: {passed} passed, {failed} failed")
        sys.exit(1)
    check(all(r["full_workers"] == 4 for r in res.values()),
          "every old worker's fd table was full at the reload")
    check(s["too_small"] > 0, "stock: the OPEN_CHANNEL fds were dropped (logged)", s)
    check((o["left_running"], o["too_small"], o["truncated"])
          == (s["left_running"], s["too_small"], s["truncated"]),
          "ours without the feature: as stock nginx 1.28.3", (s, o))
    check(u["too_small"] > 0, "upstream-next: the dropped fds were logged", u)
    check(u["left_running"] == 0, "upstream-next: no old worker left to SIGKILL", u)
    check(u["graceful"] == 4 and u["exit_codes"] == [0] * 4,
          "upstream-next: every old worker shut down gracefully, exit code 0", u)
    print(f"fdfull: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
