#!/usr/bin/env python3
"""make demo: one nginx built --with-debug on ngx-channel, 4 workers on
127.0.0.1, through start, request, reload, reopen, kill -9 of a worker and
quit; per phase, the channel messages the master sent and the workers
received (from nginx's debug log), and whether the phase went as it must.

    demo.py NGINX_BINARY
"""

import sys

import nginxrun
from conftest import expected_counts

WORKERS = 4


def verdicts(run, w):
    """PASS or FAIL per phase, from what a debug log must show for it."""
    expect = expected_counts(w)
    out = {}
    for name, t in run.phases.items():
        ok = not t.emerg and not t.kill_fallback and not t.worker_signals
        if name == "start":
            ok &= t.command("OPEN") == sum(range(w)) == t.sent_open
        elif name == "request":
            ok &= run.requests_ok.get("start", False)
        elif name == "reload":
            ok &= (run.requests_ok.get("reload", False) and t.command("QUIT") == expect["QUIT"] // 2
                   and t.exit_codes == [0] * w)
        elif name == "reopen":
            ok &= t.command("REOPEN") == expect["REOPEN"] and len(t.reopen_workers) == w
        elif name == "respawn":
            ok &= (run.requests_ok.get("respawn", False) and run.respawned == 1
                   and t.command("OPEN") == w - 1 and t.exit_signals == [9]
                   and len(t.alerts) == 1)
        elif name == "quit":
            ok &= (t.command("QUIT") == w and t.exit_codes == [0] * w
                   and run.left_running == 0)
        if name != "respawn":
            ok &= not t.alerts
        out[name] = ok
    return out


def counts(pairs):
    return ", ".join(f"{name} x{n}" for name, n in pairs if n) or "-"


def main():
    binary = sys.argv[1]
    run = nginxrun.scenario(binary, "epoll", WORKERS, debug=True)
    v = verdicts(run, WORKERS)
    print(f"nginx {binary}, {WORKERS} workers, epoll, 127.0.0.1 only")
    print(f"{'phase':<9} {'master sent':<22} {'workers received':<40} result")
    for name, t in run.phases.items():
        sent = counts([("OPEN", t.sent_open), ("CLOSE", t.sent_close)])
        got = counts([(c, t.command(c)) for c in nginxrun.COMMANDS.values()])
        print(f"{name:<9} {sent:<22} {got:<40} "
              f"{'PASS' if v[name] else 'FAIL'}  {run.detail[name]}")
    if run.error:
        print(f"error: {run.error}")
    passed = run.error is None and all(v.values())
    print("PASS" if passed else "FAIL")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
