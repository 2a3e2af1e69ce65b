"""The interactive viewer on a live source, in tmux, while Kamailio sends traffic: the run's
correlation group appears on the first screen (one row per group, correlation id first, a
calls count) and its calls count grows while the calls are running.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import uuid

import pytest

from conftest import (Kamailio, corr_id, finish_uac, free_port, hepscope_bin, is_listening, start_uac,
                      start_uas)


def viewer_available() -> tuple[bool, str]:
    run = subprocess.run([str(hepscope_bin()), "view", "--help"], capture_output=True, text=True, timeout=30)
    # Without a `view` subcommand the default `print` takes "view" for a capture file name and
    # prints its own help with status 0, so the usage line is checked as well.
    if run.returncode != 0:
        return False, f"`hepscope view --help` exits {run.returncode}"
    if "hepscope view" not in run.stdout:
        return False, "`hepscope view --help` shows no view command (it is print's help)"
    return True, ""


def calls_on_row(screen: str, corr: str) -> int | None:
    """The calls count on the row whose first column is `corr`, read under the header's
    "Calls" column; None while there is no such row."""
    lines = screen.splitlines()
    header = next((l for l in lines if re.search(r"\bcalls\b", l, re.IGNORECASE)), None)
    for line in lines:
        if not line.lstrip().startswith(corr + " ") and line.strip() != corr:
            continue
        numbers = [(m.start(), m.end(), int(m.group())) for m in re.finditer(r"\d+", line)
                   if m.start() >= line.index(corr) + len(corr)]
        if header:
            column = re.search(r"\bcalls\b", header, re.IGNORECASE)
            under = [n for s, e, n in numbers if s < column.end() and e > column.start()]
            if under:
                return under[0]
        return numbers[0][2] if numbers else None
    return None


def test_calls_on_row_reads_the_calls_column():
    screen = (" hepscope │ Test sessions (2)\n"
              " Correlation id             Calls Active  Answ  Fail  ASR PDD p50/p95 ms    Msgs\n"
              " tb-20261127T015517Z-udp-a     20      0    20     0 100%      1.58/1.79     140\n"
              " ui-1a2b3c4d5e                  7      2     5     0 100%      1.46/1.70      43\n")
    assert calls_on_row(screen, "tb-20261127T015517Z-udp-a") == 20
    assert calls_on_row(screen, "ui-1a2b3c4d5e") == 7
    assert calls_on_row(screen, "ui-other") is None


class Tmux:
    """A tmux server on a private socket, stopped by its PID at the end."""

    def __init__(self):
        self.socket = f"hepscope-itest-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.server_pid: int | None = None
        self.pane_pid: int | None = None

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args],
                              capture_output=True, text=True, timeout=15, check=check)

    def start(self, command: list[str]) -> None:
        env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", TERM="xterm-256color", TZ="UTC")
        subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", "new-session", "-d", "-s", "ui",
                        "-x", "120", "-y", "40", "env", "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
                        "TERM=xterm-256color", "TZ=UTC", *command],
                       env=env, capture_output=True, text=True, timeout=15, check=True)
        pids = self("display-message", "-p", "-t", "ui", "#{pid} #{pane_pid}").stdout.split()
        self.server_pid, self.pane_pid = int(pids[0]), int(pids[1])

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "ui").stdout

    def session_alive(self) -> bool:
        return self("has-session", "-t", "ui", check=False).returncode == 0

    def stop(self) -> None:
        self("kill-server", check=False)
        for pid in (self.pane_pid, self.server_pid):
            if pid and running(pid):
                os.kill(pid, signal.SIGKILL)


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def wait_for(condition, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture
def tmux():
    t = Tmux()
    yield t
    t.stop()


def test_viewer_shows_a_live_group_filling(procs, tmux):
    available, reason = viewer_available()
    if not available:
        pytest.skip(f"the interactive viewer is not in this build: {reason}")

    port = free_port()
    corr = corr_id("ui")
    uas, uas_port = start_uas(procs, "uas", "uas.xml")
    kam = Kamailio(procs, "kamailio", corr, f"sip:127.0.0.1:{port}", f"sip:127.0.0.1:{uas_port}")
    tmux.start([str(hepscope_bin()), "view", f"udp://127.0.0.1:{port}"])
    wait_for(lambda: is_listening(port, "udp") or not tmux.session_alive(), 15, "the viewer's UDP listener")
    assert tmux.session_alive(), "the viewer ended at start:\n" + tmux.screen()

    # 10 calls, one a second, each lasting 2 s: about 11 s of live traffic.
    calls = 10
    uac, _ = start_uac(procs, "uac", "uac.xml", f"127.0.0.1:{kam.sip_port}", calls=calls,
                       rate=1, call_ms=2000)
    first = wait_for(lambda: calls_on_row(tmux.screen(), corr), 15,
                     f"a row for {corr} on the first screen")
    assert uac.alive(), "the calls ended before the viewer showed them"

    def grown():
        n = calls_on_row(tmux.screen(), corr)
        return n if n is not None and n > first else None

    later = wait_for(grown, 15, f"the calls count of {corr} to grow past {first}")
    assert uac.alive(), "the count grew only after the calls had ended"
    assert first < later <= calls

    finish_uac(procs, uac, timeout=40)
    wait_for(lambda: calls_on_row(tmux.screen(), corr) == calls, 10, f"{calls} calls on the row of {corr}")

    # What was received is not recorded (no --write): q asks first, a second q quits.
    tmux("send-keys", "-t", "ui", "q")
    wait_for(lambda: "messages received are not saved" in tmux.screen(), 10, "the viewer to ask before quitting")
    tmux("send-keys", "-t", "ui", "q")
    wait_for(lambda: not tmux.session_alive(), 10, "the viewer to quit on a second q")
