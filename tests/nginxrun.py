"""Running a real nginx master with workers, and reading what its channel
did from nginx's own error log.

`Nginx` starts one nginx on 127.0.0.1 at a port the kernel picked, in a
temporary prefix of its own, and `stop()` kills everything it started, by
pid.  `scenario()` drives a master through its channel's main jobs (start,
reload, reopen, kill -9 of a worker, quit) and returns what the log says
of each phase.  Used by the pytest files beside it, `demo.py` and
`bench/bench.py`.
"""

import dataclasses
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

# "2026/12/04 10:00:00 [notice] 123#0: *5 message"
LINE = re.compile(r"^\S+ \S+ \[(\w+)\] (\d+)#\d+: (?:\*\d+ )?(.*)$")

COMMANDS = {"1": "OPEN", "2": "CLOSE", "3": "QUIT", "4": "TERMINATE", "5": "REOPEN"}


def wait_for(what, cond, timeout=15):
    """cond()'s first true value, polled until timeout seconds pass."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = cond()
        if value:
            return value
        time.sleep(0.02)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")


def proc_state(pid):
    """The state letter of a process (R, S, Z, ...) and its parent, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def alive(pid):
    st = proc_state(pid)
    return st is not None and st[0] != "Z"


def children(pid):
    """The live processes whose parent is pid (nginx's workers)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_state(int(d))
            if st and st[1] == pid and st[0] != "Z":
                out.append(int(d))
    return sorted(out)


def open_fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def get(port, timeout=3):
    """One HTTP request to nginx; True when it answered 200 "ok"."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/")
        resp = conn.getresponse()
        return resp.status == 200 and resp.read() == b"ok\n"
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def footprint(stock, ours):
    """What linking ngx-channel in place of ngx_channel.c costs an nginx
    binary: the text size (size(1)) and the exported dynamic symbols of
    stock and of ours."""
    def text(path):
        out = subprocess.run(["size", path], capture_output=True, text=True, check=True).stdout
        return int(out.splitlines()[1].split()[0])

    def exported(path):
        out = subprocess.run(["nm", "-D", "--defined-only", path], capture_output=True,
                             text=True, check=True).stdout
        return sorted(line.split()[-1] for line in out.splitlines())
    return {"text/stock": text(stock), "text/ours": text(ours),
            "exported/stock": exported(stock), "exported/ours": exported(ours)}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """One nginx in a temporary prefix, listening on 127.0.0.1 only."""

    def __init__(self, binary, use="epoll", workers=4, debug_log=True,
                 main_extra="", connections=128, http_extra=""):
        self.binary = os.path.abspath(binary)
        self.workers = workers
        self.dir = tempfile.mkdtemp(prefix="ngx-channel-")
        os.makedirs(os.path.join(self.dir, "logs"))
        self.log = os.path.join(self.dir, "logs", "error.log")
        self.pidfile = os.path.join(self.dir, "logs", "nginx.pid")
        self.port = free_port()
        self.master = self.group = None
        self.started = []  # every pid this run saw, for stop()
        level = "debug" if debug_log else "notice"
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(f"""
user root;
worker_processes {workers};
{main_extra}
error_log logs/error.log {level};
pid logs/nginx.pid;
events {{
    use {use};
    worker_connections {connections};
}}
http {{
    access_log off;
    {http_extra}
    server {{
        listen 127.0.0.1:{self.port};
        location / {{ return 200 "ok\\n"; }}
    }}
}}
""")

    def run(self, *args):
        """The binary with this prefix and config; NGINX is never passed on
        (nginx would take it for inherited listening sockets)."""
        env = {k: v for k, v in os.environ.items() if k != "NGINX"}
        return subprocess.run([self.binary, "-p", self.dir, "-c", "nginx.conf", *args],
                              env=env, capture_output=True, text=True, timeout=20)

    def start(self):
        r = self.run()
        if r.returncode != 0:
            raise RuntimeError(f"nginx did not start: {r.stderr.strip()}")
        wait_for("the pid file", lambda: os.path.exists(self.pidfile))
        with open(self.pidfile) as f:
            self.master = int(f.read())
        self.started.append(self.master)
        # the master calls setsid(): its workers stay in its process group,
        # even once orphaned
        self.group = self.master if os.getpgid(self.master) == self.master else None
        return self.wait_workers()

    def workers_now(self):
        pids = children(self.master)
        self.started.extend(p for p in pids if p not in self.started)
        return pids

    def wait_workers(self, exclude=()):
        """Waits until exactly `workers` workers run, none of them in exclude."""
        def ready():
            w = self.workers_now()
            return w if len(w) == self.workers and not set(w) & set(exclude) else None
        return wait_for("the workers", ready)

    def signal(self, name):
        """nginx -s NAME, as an administrator does it."""
        r = self.run("-s", name)
        if r.returncode != 0:
            raise RuntimeError(f"nginx -s {name}: {r.stderr.strip()}")

    def log_size(self):
        return os.path.getsize(self.log)

    def lines(self, start=0, end=None):
        """(level, pid, message) of each log line between two offsets."""
        with open(self.log, errors="replace") as f:
            f.seek(start)
            text = f.read() if end is None else f.read(end - start)
        for line in text.splitlines():
            m = LINE.match(line)
            if m:
                yield m.group(1), int(m.group(2)), m.group(3)

    def tally(self, start=0, end=None):
        return Tally.of(self.lines(start, end), self.master)

    def stop(self):
        """Kills everything this run started, by pid: the master's process
        group, and every pid seen; then removes its prefix."""
        if self.group:
            try:
                os.killpg(self.group, signal.SIGKILL)
            except OSError:
                pass
        for pid in [self.master, *self.started]:
            if pid and alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclasses.dataclass
class Tally:
    """What a stretch of nginx's error log says about the channel."""
    sent_open: int = 0          # master: "pass channel"
    sent_close: int = 0         # master: "pass close channel"
    received: dict = dataclasses.field(default_factory=dict)  # "channel command: N"
    got_channel: int = 0        # worker: "get channel"
    kill_fallback: int = 0      # master: "kill (": a channel write failed
    worker_signals: int = 0     # a worker got a signal, not a channel command
    debug_lines: int = 0
    alerts: list = dataclasses.field(default_factory=list)
    emerg: int = 0
    reopen_workers: set = dataclasses.field(default_factory=set)
    graceful_workers: set = dataclasses.field(default_factory=set)
    exit_codes: list = dataclasses.field(default_factory=list)
    exit_signals: list = dataclasses.field(default_factory=list)

    @classmethod
    def of(cls, lines, master):
        t = cls()
        for level, pid, msg in lines:
            t.add(level, pid, msg, master)
        return t

    def add(self, level, pid, msg, master):
        if level == "debug":
            self.debug_lines += 1
        elif level == "alert":
            self.alerts.append(msg)
        elif level == "emerg":
            self.emerg += 1
        if msg.startswith("pass channel s:"):
            self.sent_open += 1
        elif msg.startswith("pass close channel"):
            self.sent_close += 1
        elif msg.startswith("channel command: "):
            n = msg.split(": ")[1]
            self.received[n] = self.received.get(n, 0) + 1
        elif msg.startswith("get channel s:"):
            self.got_channel += 1
        elif msg.startswith("kill ("):
            self.kill_fallback += 1
        elif msg.startswith("signal ") and " received" in msg and pid != master:
            self.worker_signals += 1
        elif msg == "reopening logs" and pid != master:
            self.reopen_workers.add(pid)
        elif msg == "gracefully shutting down" and pid != master:
            self.graceful_workers.add(pid)
        m = re.match(r"worker process \d+ exited with code (\d+)", msg)
        if m:
            self.exit_codes.append(int(m.group(1)))
        m = re.match(r"worker process \d+ exited on signal (\d+)", msg)
        if m:
            self.exit_signals.append(int(m.group(1)))

    def command(self, name):
        """How many times workers received a command, by name (OPEN, ...)."""
        return sum(v for k, v in self.received.items() if COMMANDS.get(k) == name)


@dataclasses.dataclass
class Scenario:
    """One run of the master/worker scenario."""
    phases: dict            # phase name -> Tally of that phase
    detail: dict            # phase name -> what happened, in words
    total: Tally = None
    requests_ok: dict = dataclasses.field(default_factory=dict)
    respawned: int = 0
    left_running: int = -1
    master_fds: tuple = (-1, -1)
    load: dict = None
    error: str = None


def scenario(binary, use="epoll", workers=4, debug=True, reloads_under_load=0,
             main_extra="", http_extra=""):
    """Start, request, reload, reopen, kill -9 of one worker (respawn), an
    optional load phase (reloads and kills under HTTP requests), quit.
    With a debug build it also waits until every worker read every channel
    message meant for it, so that the counts are exact.  main_extra and
    http_extra go into the configuration (load_module lines, paths)."""
    ngx = Nginx(binary, use, workers, main_extra=main_extra, http_extra=http_extra)
    run = Scenario(phases={}, detail={})
    mark = 0

    def phase(name, detail):
        nonlocal mark
        end = ngx.log_size()
        run.phases[name] = ngx.tally(mark, end)
        run.detail[name] = detail
        mark = end

    def received_since_mark(cmd):
        return ngx.tally(mark).command(cmd)

    try:
        first = ngx.start()
        if debug:
            # worker i is told of workers 0..i-1 (OPEN_CHANNEL)
            wait_for("OPEN_CHANNEL delivered",
                     lambda: received_since_mark("OPEN") >= sum(range(workers)))
        fds_start = open_fds(ngx.master)
        phase("start", f"{len(first)} workers")

        run.requests_ok["start"] = get(ngx.port)
        phase("request", "200 ok" if run.requests_ok["start"] else "FAILED")

        ngx.signal("reload")
        second = ngx.wait_workers(exclude=first)
        wait_for("the old workers to exit", lambda: not any(alive(p) for p in first))
        wait_for("the master to reap them",
                 lambda: len(ngx.tally(mark).exit_codes) >= workers)
        run.requests_ok["reload"] = get(ngx.port)
        phase("reload", f"{len(second)} new workers, old ones gone, request "
                        f"{'ok' if run.requests_ok['reload'] else 'FAILED'}")

        ngx.signal("reopen")
        wait_for("every worker to reopen its logs",
                 lambda: len(ngx.tally(mark).reopen_workers) >= workers)
        phase("reopen", "every worker reopened its logs")

        victim = second[0]
        os.kill(victim, signal.SIGKILL)
        third = ngx.wait_workers(exclude=[victim])
        new = sorted(set(third) - set(second))
        run.respawned = len(new)
        if debug:
            # the respawned worker is announced to the others
            wait_for("OPEN_CHANNEL for the respawned worker",
                     lambda: received_since_mark("OPEN") >= workers - 1)
        run.requests_ok["respawn"] = get(ngx.port)
        phase("respawn", f"killed {victim}, respawned {new}, request "
                         f"{'ok' if run.requests_ok['respawn'] else 'FAILED'}")

        if reloads_under_load:
            run.load = under_load(ngx, reloads_under_load)
            phase("load", f"{run.load['reloads']} reloads, {run.load['kills']} kills "
                          f"under {run.load['requests']} requests")

        fds_end = open_fds(ngx.master)
        run.master_fds = (fds_start, fds_end)
        master = ngx.master
        last = ngx.workers_now()
        ngx.signal("quit")
        wait_for("the master to exit", lambda: not alive(master), timeout=20)
        run.left_running = sum(1 for p in last if alive(p))
        phase("quit", "master exited")
        run.total = ngx.tally()
    except Exception as e:  # reported; everything is still stopped
        run.error = f"{type(e).__name__}: {e}"
    finally:
        ngx.stop()
    return run


def under_load(ngx, reloads):
    """Requests on loopback without pause while reloading `reloads` times
    (each one waited for until the master took it: signals do not queue)
    and killing a worker every ten reloads."""
    stats = {"requests": 0, "failed": 0}
    stop = threading.Event()

    def client():
        while not stop.is_set():
            ok = get(ngx.port)
            stats["requests"] += 1
            stats["failed"] += 0 if ok else 1

    def reconfigurations():
        return sum(1 for _, pid, msg in ngx.lines()
                   if pid == ngx.master and msg == "reconfiguring")

    kills = 0
    t = threading.Thread(target=client)
    t.start()
    try:
        for i in range(reloads):
            before = reconfigurations()
            ngx.signal("reload")
            wait_for("the reload", lambda: reconfigurations() > before)
            if i % 10 == 5:
                w = ngx.workers_now()
                if w:
                    os.kill(w[-1], signal.SIGKILL)
                    kills += 1
        wait_for("the workers to settle",
                 lambda: len(ngx.workers_now()) == ngx.workers, timeout=30)
        time.sleep(0.3)
    finally:
        stop.set()
        t.join()
    return {"reloads": reconfigurations(), "kills": kills, **stats}
