"""A reload into workers whose fd table is full (nginx PR 1662's case).

nginx with 4 workers and worker_rlimit_nofile 64 gets more keepalive
connections on 127.0.0.1 than its workers can hold, so every worker's fd
table is full (accept() fails with EMFILE).  Then a reload: the
OPEN_CHANNEL messages announcing the new workers reach old workers with no
free slot, and Linux drops the fd (MSG_CTRUNC).  Each build then gets a
bounded time for its old workers to exit.

Ours must behave as stock nginx of the same tree.  Where the read path has
nginx's fd-table fix (ours-upstream; stock and ours of a tree whose
ngx_channel.c has it), every old worker shuts down gracefully; where not
(nginx 1.28), the old workers never see QUIT and are left running.
"""

import functools
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


@pytest.fixture(scope="session", params=["tree", "upstream"])
def fd_tree(request, tree):
    """The tree under test, and the tree of nginx's fd-table fix."""
    return tree if request.param == "tree" else request.getfixturevalue("upstream")


@pytest.fixture(scope="session")
def results(fd_tree):
    @functools.cache
    def run(variant):
        r = reload_into_full_tables(fd_tree.binary(variant))
        print(f"{fd_tree.name} {variant}: {r}")
        return r

    def checked(variant):
        r = run(variant)
        assert "error" not in r, f"{variant}: the run did not complete: {r['error']}"
        return r
    return checked


@pytest.fixture(scope="session")
def fixed(fd_tree):
    """The builds with nginx's fd-table fix: ours-upstream always; stock and
    ours too when the tree's own ngx_channel.c has it (the addon then built
    ours with upstream-next, and its record says so)."""
    has_fix = fd_tree.record("ours-debug")["READ_PATH"] == "upstream-next"
    return ["stock-debug", "ours-debug", "ours-upstream"] if has_fix else ["ours-upstream"]


VARIANTS = ["stock-debug", "ours-debug", "ours-upstream"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_old_workers_fd_table_was_full(results, variant):
    assert results(variant)["full_workers"] == 4


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_dropped_fds_were_logged(results, variant):
    assert results(variant)["too_small"] > 0


def test_ours_is_stock(results):
    def seen(r):
        return r["left_running"], r["too_small"], r["truncated"], r["graceful"]
    assert seen(results("ours-debug")) == seen(results("stock-debug"))


@pytest.mark.parametrize("variant", VARIANTS)
def test_with_the_fix_no_old_worker_is_left(results, fixed, variant):
    r = results(variant)
    if variant in fixed:
        assert (r["left_running"], r["graceful"], r["exit_codes"]) == (0, 4, [0] * 4)
    else:
        # nginx 1.28: the old workers closed their channel and never see QUIT
        assert r["left_running"] == 4
