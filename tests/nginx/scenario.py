#!/usr/bin/env python3
"""Drives a real nginx master with workers through its channel's main job
and reports what happened, phase by phase, from nginx's own error log.

    scenario.py NGINX_BINARY [--use epoll|poll|select] [--workers 4]
                [--json FILE] [--load RELOADS]

Phases: start, request, reload, reopen, kill -9 of one worker (respawn and
OPEN_CHANNEL to the others), quit.  With --load, a client sends HTTP
requests on loopback the whole time while RELOADS reloads and a few worker
kills happen.  nginx listens on 127.0.0.1 only, on a port picked at random;
everything started is stopped, by pid, within a time bound, even on failure.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

DEADLINE = 60  # seconds for the whole run

LINE = re.compile(r"^\S+ \S+ \[(\w+)\] (\d+)#\d+: (?:\*\d+ )?(.*)$")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid):
    """Pids whose parent is pid (nginx's workers)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(d))
    return sorted(out)


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def open_fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def wait_for(what, cond, timeout=15):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.02)
    raise TimeoutError(f"timed out waiting for {what}")


def get(port, timeout=3):
    """One HTTP request; True when nginx answered 200."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"GET / HTTP/1.0\r\nHost: t\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        return data.startswith(b"HTTP/1.1 200") and data.endswith(b"ok\n")
    except OSError:
        return False


class Nginx:
    def __init__(self, binary, use, workers, debug_log=True, main_extra="",
                 connections=128):
        self.binary = os.path.abspath(binary)
        self.dir = tempfile.mkdtemp(prefix="ngx-channel-")
        os.makedirs(os.path.join(self.dir, "logs"))
        self.port = free_port()
        self.workers = workers
        self.log = os.path.join(self.dir, "logs", "error.log")
        self.master = None
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(f"""
user root;
worker_processes {workers};
{main_extra}
error_log logs/error.log {"debug" if debug_log else "notice"};
pid logs/nginx.pid;
events {{
    use {use};
    worker_connections {connections};
}}
http {{
    access_log off;
    server {{
        listen 127.0.0.1:{self.port};
        location / {{ return 200 "ok\\n"; }}
    }}
}}
""")

    def run(self, *args):
        env = {k: v for k, v in os.environ.items() if k != "NGINX"}
        return subprocess.run([self.binary, "-p", self.dir, "-c", "nginx.conf", *args],
                              env=env, capture_output=True, text=True, timeout=20)

    def start(self):
        r = self.run()
        if r.returncode != 0:
            raise RuntimeError(f"nginx did not start: {r.stderr}")
        pidfile = os.path.join(self.dir, "logs", "nginx.pid")
        wait_for("the pid file", lambda: os.path.exists(pidfile))
        with open(pidfile) as f:
            self.master = int(f.read())
        return self.wait_workers()

    def wait_workers(self, exclude=()):
        """Waits until exactly `workers` workers run, none of them in exclude."""
        def ready():
            w = children(self.master)
            return w if len(w) == self.workers and not set(w) & set(exclude) else None
        return wait_for("the workers", ready)

    def signal(self, name):
        r = self.run("-s", name)
        if r.returncode != 0:
            raise RuntimeError(f"nginx -s {name}: {r.stderr}")

    def log_size(self):
        return os.path.getsize(self.log)

    def lines(self, start=0, end=None):
        with open(self.log, errors="replace") as f:
            f.seek(start)
            text = f.read() if end is None else f.read(end - start)
        for line in text.splitlines():
            m = LINE.match(line)
            if m:
                yield m.group(1), int(m.group(2)), m.group(3)

    def stop(self):
        """Stops everything this run started, by pid."""
        if self.master and alive(self.master):
            pids = [self.master] + children(self.master)
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
        shutil.rmtree(self.dir, ignore_errors=True)


def counts(nginx, start, end, master):
    """What one phase of the log says about the channel."""
    c = {"sent_open": 0, "sent_close": 0, "received": {}, "worker_signals": 0,
         "kill_fallback": 0, "debug_lines": 0, "alerts": [], "emerg": 0,
         "reopen_workers": set(), "graceful_workers": set(), "exit_codes": [],
         "exit_signals": []}
    for level, pid, msg in nginx.lines(start, end):
        if level == "debug":
            c["debug_lines"] += 1
        if level == "alert":
            c["alerts"].append(msg)
        if level == "emerg":
            c["emerg"] += 1
        if msg.startswith("pass channel s:"):
            c["sent_open"] += 1
        elif msg.startswith("pass close channel"):
            c["sent_close"] += 1
        elif msg.startswith("channel command: "):
            n = msg.split(": ")[1]
            c["received"][n] = c["received"].get(n, 0) + 1
        elif msg.startswith("get channel s:"):
            c["received"]["get"] = c["received"].get("get", 0) + 1
        elif msg.startswith("kill ("):
            c["kill_fallback"] += 1
        elif msg.startswith("signal ") and " received" in msg and pid != master:
            c["worker_signals"] += 1
        elif msg == "reopening logs" and pid != master:
            c["reopen_workers"].add(pid)
        elif msg == "gracefully shutting down" and pid != master:
            c["graceful_workers"].add(pid)
        m = re.match(r"worker process \d+ exited with code (\d+)", msg)
        if m:
            c["exit_codes"].append(int(m.group(1)))
        m = re.match(r"worker process \d+ exited on signal (\d+)", msg)
        if m:
            c["exit_signals"].append(int(m.group(1)))
    c["reopen_workers"] = len(c["reopen_workers"])
    c["graceful_workers"] = len(c["graceful_workers"])
    return c


def scenario(args):
    nginx = Nginx(args.nginx, args.use, args.workers)
    phases = []
    result = {"nginx": args.nginx, "use": args.use, "workers": args.workers,
              "phases": phases}
    deadline = threading.Timer(DEADLINE, lambda: os.kill(os.getpid(), signal.SIGALRM))
    try:
        mark = 0

        def phase(name, detail=""):
            nonlocal mark
            end = nginx.log_size()
            c = counts(nginx, mark, end, nginx.master)
            c["phase"] = name
            c["detail"] = detail
            phases.append(c)
            mark = end

        first = nginx.start()
        # every worker has read every OPEN_CHANNEL meant for it: i for worker i
        if args.debug:
            wait_for("OPEN_CHANNEL delivered",
                     lambda: counts(nginx, 0, None, nginx.master)["received"].get("1", 0)
                     >= sum(range(args.workers)))
        result["master_fds_start"] = open_fds(nginx.master)
        phase("start", f"{len(first)} workers")

        ok = get(nginx.port)
        phase("request", "200 ok" if ok else "FAILED")
        result["request_ok"] = ok

        nginx.signal("reload")
        second = nginx.wait_workers(exclude=first)
        wait_for("the old workers to exit", lambda: not any(alive(p) for p in first))
        wait_for("the master to reap them",
                 lambda: len(counts(nginx, mark, None, nginx.master)["exit_codes"])
                 >= args.workers)
        ok = get(nginx.port)
        phase("reload", f"{len(second)} new workers, old ones gone, request {'ok' if ok else 'FAILED'}")
        result["reload_ok"] = ok

        nginx.signal("reopen")
        wait_for("every worker to reopen its logs",
                 lambda: counts(nginx, mark, None, nginx.master)["reopen_workers"] >= args.workers)
        phase("reopen", "every worker reopened its logs")

        victim = second[0]
        os.kill(victim, signal.SIGKILL)
        third = nginx.wait_workers(exclude=[victim])
        new = sorted(set(third) - set(second))
        if args.debug:
            # the respawned worker is announced to the others
            wait_for("OPEN_CHANNEL for the respawned worker",
                     lambda: counts(nginx, mark, None, nginx.master)["received"].get("1", 0)
                     >= args.workers - 1)
        ok = get(nginx.port)
        phase("respawn", f"killed {victim}, respawned {new}, request {'ok' if ok else 'FAILED'}")
        result["respawn_ok"] = ok and len(new) == 1

        if args.load:
            load(nginx, args, result)
            phase("load", f"{result['load']['reloads']} reloads, {result['load']['kills']} kills "
                          f"under {result['load']['requests']} requests")

        result["master_fds_end"] = open_fds(nginx.master)
        master = nginx.master
        workers = children(master)
        nginx.signal("quit")
        wait_for("the master to exit", lambda: not alive(master), timeout=20)
        result["left_running"] = sum(1 for p in workers if alive(p))
        phase("quit", "master exited")
        result["total"] = counts(nginx, 0, None, master)
        result["ok"] = True
    except Exception as e:  # reported, and everything is still stopped
        result["ok"] = False
        result["error"] = f"{type(e).__name__}: {e}"
    finally:
        deadline.cancel()
        nginx.stop()
    return result


def load(nginx, args, result):
    """Requests on loopback without pause while reloading and killing."""
    stats = {"requests": 0, "failed": 0}
    stop = threading.Event()

    def client():
        while not stop.is_set():
            ok = get(nginx.port)
            stats["requests"] += 1
            stats["failed"] += 0 if ok else 1

    t = threading.Thread(target=client)
    t.start()
    kills = 0

    def reconfigurations():
        return sum(1 for _, pid, msg in nginx.lines()
                   if pid == nginx.master and msg == "reconfiguring")

    try:
        for i in range(args.load):
            before = reconfigurations()
            nginx.signal("reload")
            # signals do not queue: wait until the master took this one
            wait_for("the reload", lambda: reconfigurations() > before)
            if i % 10 == 5:
                w = children(nginx.master)
                if w:
                    os.kill(w[-1], signal.SIGKILL)
                    kills += 1
        # settle: exactly the configured workers, the old ones gone
        wait_for("the workers to settle", lambda: len(children(nginx.master)) == args.workers,
                 timeout=30)
        time.sleep(0.3)
    finally:
        stop.set()
        t.join()
    result["load"] = {"reloads": reconfigurations(), "kills": kills, **stats}


NAMES = {"1": "OPEN", "2": "CLOSE", "3": "QUIT", "4": "TERMINATE", "5": "REOPEN",
         "get": None}


def verdicts(r, w):
    """PASS or FAIL per phase, from what a debug log must show for it."""
    out = {}
    for p in r["phases"]:
        rec = p["received"]
        ok = not p["emerg"] and not p["kill_fallback"] and not p["worker_signals"]
        name = p["phase"]
        if name == "start":
            ok &= rec.get("1", 0) == sum(range(w)) == p["sent_open"]
        elif name == "request":
            ok &= r.get("request_ok", False)
        elif name == "reload":
            ok &= (r.get("reload_ok", False) and rec.get("3", 0) == w
                   and p["exit_codes"] == [0] * w)
        elif name == "reopen":
            ok &= rec.get("5", 0) == w and p["reopen_workers"] == w
        elif name == "respawn":
            ok &= (r.get("respawn_ok", False) and rec.get("1", 0) == w - 1
                   and p["exit_signals"] == [9] and len(p["alerts"]) == 1)
        elif name == "quit":
            ok &= (rec.get("3", 0) == w and p["exit_codes"] == [0] * w
                   and r.get("left_running") == 0)
        if name != "respawn":
            ok &= not p["alerts"]
        out[name] = ok
    return out


def report(r, w):
    """A short readable report of a scenario run."""
    def fmt(d):
        items = [f"{NAMES[k]} x{v}" for k, v in sorted(d.items()) if NAMES.get(k)]
        return ", ".join(items) or "-"
    v = verdicts(r, w)
    print(f"nginx {r['nginx']}, {w} workers, use {r['use']}, 127.0.0.1 only")
    print(f"{'phase':<9} {'master sent':<22} {'workers received':<40} result")
    for p in r["phases"]:
        sent = {}
        if p["sent_open"]:
            sent["1"] = p["sent_open"]
        if p["sent_close"]:
            sent["2"] = p["sent_close"]
        print(f"{p['phase']:<9} {fmt(sent):<22} {fmt(p['received']):<40} "
              f"{'PASS' if v.get(p['phase']) else 'FAIL'}  {p['detail']}")
    if not r["ok"]:
        print(f"error: {r['error']}")
    passed = r["ok"] and all(v.values())
    print("PASS" if passed else "FAIL")
    return passed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("nginx")
    ap.add_argument("--use", default="epoll")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--debug", type=int, default=1, help="the nginx has --with-debug")
    ap.add_argument("--load", type=int, default=0)
    ap.add_argument("--json")
    ap.add_argument("--report", action="store_true", help="a readable report, not JSON")
    args = ap.parse_args()
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("deadline")))
    result = scenario(args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    if args.report:
        sys.exit(0 if report(result, args.workers) else 1)
    print(json.dumps(result, indent=1))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
