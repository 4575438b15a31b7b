"""Real nginx master/workers on the channel: start, request, reload,
reopen, kill -9 of a worker (respawn), quit.  Each build (stock: nginx's
own ngx_channel.c; ours: ngx-channel) is checked on its own, then ours
against stock from the same source and flags.  nginx's own error log is
the witness: a debug build logs every channel message it passes and gets.
"""

import pytest

from conftest import expected_counts, report

pytestmark = pytest.mark.compat


@pytest.fixture(scope="session")
def scenario(scenarios, tree):
    """scenario(impl, flavour, use): that build's run, made once; what it
    counted goes into the report."""
    def one(impl, flavour, use):
        r = scenarios(tree.binary(f"{impl}-{flavour}"), use, debug=flavour == "debug")
        t = r.total
        report(tree.name, f"scenario {impl}-{flavour}-{use}", {"error": r.error} if r.error else {
            **{c: t.command(c) for c in ("OPEN", "QUIT", "REOPEN", "CLOSE")},
            "exits": len(t.exit_codes), "alerts": len(t.alerts), "left_running": r.left_running})
        return r
    return one


@pytest.fixture
def run(scenario, impl, flavour, use):
    r = scenario(impl, flavour, use)
    assert r.error is None, f"the scenario did not complete: {r.error}"
    return r


def test_scenario_completes(run):
    assert run.error is None


def test_requests_served_after_start_reload_and_respawn(run):
    assert run.requests_ok == {"start": True, "reload": True, "respawn": True}
    assert run.respawned == 1


def test_no_kill_fallback_every_channel_write_succeeded(run):
    # nginx falls back to kill() when a channel write fails ("kill (")
    assert run.total.kill_fallback == 0


def test_no_worker_got_a_signal_every_command_came_by_channel(run):
    assert run.total.worker_signals == 0


def test_every_worker_reopened_its_logs(run, workers):
    assert len(run.phases["reopen"].reopen_workers) == workers


def test_only_the_killed_worker_died_by_signal(run):
    assert run.total.exit_signals == [9]


def test_no_alert_but_the_killed_workers(run):
    assert len(run.total.alerts) == 1, run.total.alerts
    assert "exited on signal 9" in run.total.alerts[0]


def test_no_emerg(run):
    assert run.total.emerg == 0


def test_every_other_worker_exited_gracefully(run, workers):
    # reload: the old workers; quit: the new ones
    assert run.total.exit_codes == [0] * (2 * workers)


def test_no_worker_left_running_after_quit(run):
    assert run.left_running == 0


# What a --with-debug nginx logs of each channel message it got


@pytest.mark.flavour("debug")
@pytest.mark.parametrize("command", ["OPEN", "QUIT", "REOPEN"])
def test_commands_received(run, workers, command):
    assert run.total.command(command) == expected_counts(workers)[command]


@pytest.mark.flavour("debug")
def test_close_channel_received(run):
    # how many depends on timing; some always arrive (reload, respawn)
    assert run.total.command("CLOSE") > 0


@pytest.mark.flavour("debug")
def test_every_channel_passed_was_got(run):
    t = run.total
    assert t.sent_open == t.got_channel == t.command("OPEN")


@pytest.mark.flavour("plain")
def test_no_debug_line_without_with_debug(run):
    # error_log ... debug, but nginx was not configured --with-debug
    assert run.total.debug_lines == 0


def compare(scenario, flavour, use, measure):
    stock, ours = scenario("stock", flavour, use), scenario("ours", flavour, use)
    assert stock.error is None and ours.error is None, (stock.error, ours.error)
    assert measure(ours) == measure(stock)


SAME = {
    "worker_exit_codes": lambda r: sorted(r.total.exit_codes),
    "alerts": lambda r: len(r.total.alerts),
    "workers_left_running": lambda r: r.left_running,
    "worker_signals": lambda r: r.total.worker_signals,
}

# what only a --with-debug nginx logs
SAME_DEBUG = {
    "OPEN_received": lambda r: r.total.command("OPEN"),
    "QUIT_received": lambda r: r.total.command("QUIT"),
    "REOPEN_received": lambda r: r.total.command("REOPEN"),
    "pass_channel": lambda r: r.total.sent_open,
    "get_channel": lambda r: r.total.got_channel,
}


@pytest.mark.parametrize("what", SAME)
def test_ours_as_stock(scenario, flavour, use, what):
    compare(scenario, flavour, use, SAME[what])


@pytest.mark.flavour("debug")
@pytest.mark.parametrize("what", SAME_DEBUG)
def test_ours_as_stock_channel_messages(scenario, flavour, use, what):
    compare(scenario, flavour, use, SAME_DEBUG[what])
