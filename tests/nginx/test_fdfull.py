"""A reload into workers whose fd table is full (nginx PR 1662's case).

nginx with 4 workers and worker_rlimit_nofile 64 gets more keepalive
connections on 127.0.0.1 than its workers can hold, so every worker's fd
table is full (accept() fails with EMFILE).  Then a reload: the
OPEN_CHANNEL messages announcing the new workers reach old workers with no
free slot, and Linux drops the fd (MSG_CTRUNC).  Each build then gets a
bounded time for its old workers to exit.

Ours without the feature must behave as stock nginx (the old workers that
never see QUIT, the same channel alerts); ours with upstream-next lets every
old worker shut down gracefully.
"""

import os
import signal
import socket
import time

import pytest

import nginxrun

LIMIT = 64     # worker_rlimit_nofile
CLIENTS = 320  # more connections than 4 workers can hold
GRACE = 6      # seconds the old workers get to exit after the reload


def fill(ngx):
    """Keepalive connections until every worker's fd table is full."""
    conns = []
    for _ in range(CLIENTS):
        s = socket.create_connection(("127.0.0.1", ngx.port), timeout=2)
        s.setblocking(False)
        s.send(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        conns.append(s)
    workers = ngx.workers_now()
    nginxrun.wait_for("every worker's fd table to fill",
                      lambda: all(nginxrun.open_fds(p) >= LIMIT for p in workers), timeout=10)
    return conns


def reload_into_full_tables(binary):
    ngx = nginxrun.Nginx(binary, "epoll", 4, connections=1024,
                         main_extra=f"worker_rlimit_nofile {LIMIT};")
    r = {}
    conns = []
    try:
        old = ngx.start()
        nginxrun.wait_for("OPEN_CHANNEL delivered", lambda: ngx.tally().command("OPEN") >= 6)
        conns = fill(ngx)
        r["full_workers"] = sum(1 for p in old if nginxrun.open_fds(p) >= LIMIT)
        mark = ngx.log_size()
        os.kill(ngx.master, signal.SIGHUP)
        # the new workers start whatever the old ones do
        nginxrun.wait_for("the new workers",
                          lambda: len(set(ngx.workers_now()) - set(old)) >= 4)
        end = time.monotonic() + GRACE
        while time.monotonic() < end and any(nginxrun.alive(p) for p in old):
            time.sleep(0.05)
        r["left_running"] = sum(1 for p in old if nginxrun.alive(p))
        lines = list(ngx.lines(mark))
        # the old workers' lines only: new ones may fill up too, by chance
        r["too_small"] = sum(1 for _, pid, m in lines if pid in old and
                             m.startswith("recvmsg() returned too small ancillary data"))
        r["truncated"] = sum(1 for _, pid, m in lines
                             if pid in old and m == "recvmsg() truncated data")
        t = ngx.tally(mark)
        r["graceful"] = len(t.graceful_workers)
        r["exit_codes"] = t.exit_codes
    except Exception as e:  # reported; everything is still stopped
        r["error"] = f"{type(e).__name__}: {e}"
    finally:
        for s in conns:
            s.close()
        ngx.stop()
    return r


@pytest.fixture(scope="module")
def results(binary):
    runs = {}

    def run(variant):
        if variant not in runs:
            runs[variant] = reload_into_full_tables(binary(variant))
            print(f"{variant}: {runs[variant]}")
        r = runs[variant]
        assert "error" not in r, f"{variant}: the run did not complete: {r['error']}"
        return r
    return run


@pytest.mark.parametrize("variant", ["stock-debug", "ours-debug", "ours-upstream"])
def test_every_old_workers_fd_table_was_full(results, variant):
    assert results(variant)["full_workers"] == 4


def test_stock_dropped_the_fds_and_said_so(results):
    assert results("stock-debug")["too_small"] > 0


def test_ours_without_the_feature_is_stock(results):
    def seen(r):
        return r["left_running"], r["too_small"], r["truncated"]
    assert seen(results("ours-debug")) == seen(results("stock-debug"))


def test_upstream_next_logged_the_dropped_fds(results):
    assert results("ours-upstream")["too_small"] > 0


def test_upstream_next_leaves_no_old_worker_running(results):
    assert results("ours-upstream")["left_running"] == 0


def test_upstream_next_old_workers_shut_down_gracefully(results):
    r = results("ours-upstream")
    assert r["graceful"] == 4
    assert r["exit_codes"] == [0] * 4
