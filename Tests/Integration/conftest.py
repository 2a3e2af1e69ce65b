"""Shared fixtures of the integration suite: real SIP and HEP programs from Debian's packages
(Kamailio, sipp, sngrep, stunnel, tmux) feeding a live `hepscope`, all on loopback.

Every process is started here, remembered by its PID and stopped by that PID when the test
ends, whatever happened. Every wait has a deadline. Ports are picked free on 127.0.0.1.
"""

from __future__ import annotations

import collections
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import time
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
FIXTURES = REPO / "Tests" / "Fixtures" / "kamailio"
PUBLIC_CAPTURES = REPO.parent / "shared" / "captures" / "public"

# Programs the suite drives. A missing one fails the whole run: run.sh installs them, and a
# suite that quietly skips its senders would pass without having tested anything.
REQUIRED_PROGRAMS = ["kamailio", "sipp", "sngrep", "stunnel", "tmux", "openssl"]
KAMAILIO_MODULES = Path("/usr/lib/x86_64-linux-gnu/kamailio/modules")
REQUIRED_MODULES = ["tm", "tmx", "sl", "rr", "maxfwd", "siputils", "textops", "pv", "siptrace", "tls"]


def hepscope_bin() -> Path:
    path = Path(os.environ.get("HEPSCOPE_BIN", ".build/debug/hepscope"))
    return path if path.is_absolute() else REPO / path


def pytest_sessionstart(session):
    problems = [f"program '{p}' not found" for p in REQUIRED_PROGRAMS if shutil.which(p) is None]
    if shutil.which("kamailio"):
        modules_dir = KAMAILIO_MODULES
        if not modules_dir.is_dir():
            # Another architecture: its multiarch modules directory.
            found = list(Path("/usr/lib").glob("*/kamailio/modules"))
            modules_dir = found[0] if found else modules_dir
        problems += [f"Kamailio module {m}.so not found in {modules_dir}"
                     for m in REQUIRED_MODULES if not (modules_dir / f"{m}.so").exists()]
    binary = hepscope_bin()
    if not os.access(binary, os.X_OK):
        problems.append(f"hepscope binary {binary} not found (build it, or set HEPSCOPE_BIN)")
    if problems:
        pytest.exit("integration suite cannot run:\n  " + "\n  ".join(problems)
                    + "\nRun it with `bash Tests/Integration/run.sh`, which installs the Debian packages.",
                    returncode=3)


# MARK: ports

_handed_out: set[int] = set()


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (listeners here bind both), never
    handed out twice in one session."""
    for _ in range(500):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            if port in _handed_out:
                continue
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                    u.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port on 127.0.0.1")


def free_media_ports() -> int:
    """The first of four ports free for UDP on 127.0.0.1, for sipp's media (audio and video,
    RTP and RTCP each, from `-mp` up). Taken below the kernel's ephemeral range, so that no
    socket bound to port 0 in the meantime (ours or another program's) lands on one of them
    before sipp binds it."""
    rng = random.Random()
    for _ in range(500):
        first = rng.randrange(20000, 32000, 4)
        block = range(first, first + 4)
        if any(p in _handed_out for p in block):
            continue
        sockets = []
        try:
            for p in block:
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sockets.append(u)
                u.bind(("127.0.0.1", p))
        except OSError:
            continue
        finally:
            for u in sockets:
                u.close()
        _handed_out.update(block)
        return first
    raise RuntimeError("no four free UDP ports in a row on 127.0.0.1")


def is_listening(port: int, proto: str) -> bool:
    """Whether something listens on 127.0.0.1:port (or the wildcard), read from /proc so the
    check itself sends nothing: a probing connection would show in hepscope's counters."""
    want = {f"0100007F:{port:04X}", f"00000000:{port:04X}"}
    for name in (f"/proc/net/{proto}", f"/proc/net/{proto}6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 4:
                continue
            local, state = fields[1], fields[3]
            if proto == "tcp" and state != "0A":  # LISTEN
                continue
            if local in want or (local.endswith(f":{port:04X}") and set(local.split(":")[0]) == {"0"}):
                return True
    return False


# MARK: processes

class Proc:
    def __init__(self, name: str, popen: subprocess.Popen, log: Path, out: Path | None):
        self.name, self.popen, self.log, self.out = name, popen, log, out

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])


class Procs:
    """Starts processes and stops each one by its PID at the end of the test."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.started: list[Proc] = []

    def start(self, name: str, args: list[str], stdout_file: Path | None = None,
              cwd: Path | None = None, env: dict | None = None) -> Proc:
        log = self.workdir / f"{name}.log"
        log_handle = open(log, "wb")
        out_handle = open(stdout_file, "wb") if stdout_file else log_handle
        popen = subprocess.Popen(
            [str(a) for a in args], stdin=subprocess.DEVNULL, stdout=out_handle,
            stderr=log_handle, cwd=cwd or self.workdir, env=env,
            # Its own process group: a Kamailio's workers can be reached through their main
            # process's PID if the main process leaves them behind.
            start_new_session=True)
        log_handle.close()
        if stdout_file:
            out_handle.close()
        proc = Proc(name, popen, log, stdout_file)
        self.started.append(proc)
        return proc

    def wait(self, proc: Proc, timeout: float) -> int:
        try:
            return proc.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(proc)
            pytest.fail(f"{proc.name} (pid {proc.pid}) did not finish within {timeout:.0f} s:\n"
                        + proc.log_tail())

    def wait_listening(self, proc: Proc, port: int, protos=("udp",), timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if all(is_listening(port, p) for p in protos):
                return
            if not proc.alive():
                pytest.fail(f"{proc.name} (pid {proc.pid}) exited with {proc.popen.returncode} "
                            f"before listening on {'/'.join(protos)} {port}:\n" + proc.log_tail())
            if time.monotonic() > deadline:
                pytest.fail(f"{proc.name} (pid {proc.pid}) is not listening on "
                            f"{'/'.join(protos)} 127.0.0.1:{port} after {timeout:.0f} s:\n" + proc.log_tail())
            time.sleep(0.05)

    def stop(self, proc: Proc, sig: int = signal.SIGTERM, grace: float = 5) -> None:
        if proc.alive():
            try:
                os.kill(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                try:
                    os.kill(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.popen.wait(timeout=grace)
        # Whatever the process forked into its group (Kamailio's workers) goes with it.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            self.stop(proc)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def procs(request, tmp_path):
    manager = Procs(tmp_path)
    yield manager
    manager.stop_all()
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        # What each program said, next to the failure.
        for proc in manager.started:
            print(f"----- {proc.name} (pid {proc.pid}, exit {proc.popen.returncode}) {proc.log}")
            print(proc.log_tail(60))


def corr_id(label: str) -> str:
    """A correlation id no other run shares, as a test bed names its test sessions."""
    return f"itest-{label}-{uuid.uuid4().hex[:10]}"


# MARK: hepscope

class LiveCapture:
    """`hepscope print --json --duration S` listening on UDP and TCP on one free port."""

    def __init__(self, procs: Procs, duration: float, write: Path | None = None):
        self.procs = procs
        self.port = free_port()
        self.duration = duration
        self.json_path = procs.workdir / f"hepscope-{self.port}.json"
        args = [hepscope_bin(), "print", "--json", "--duration", str(duration),
                f"udp://127.0.0.1:{self.port}", f"tcp://127.0.0.1:{self.port}"]
        if write:
            args += ["--write", write]
        self.proc = procs.start(f"hepscope-{self.port}", args, stdout_file=self.json_path)
        self.started = time.monotonic()
        procs.wait_listening(self.proc, self.port, ("udp", "tcp"))

    @property
    def udp_uri(self) -> str:
        return f"sip:127.0.0.1:{self.port}"

    @property
    def tcp_uri(self) -> str:
        return f"sip:127.0.0.1:{self.port};transport=tcp"

    def check_in_time(self) -> None:
        """The traffic has to be over before the capture window closes, or counts would be cut."""
        elapsed = time.monotonic() - self.started
        assert elapsed < self.duration - 1, (
            f"traffic took {elapsed:.1f} s, too close to the {self.duration} s capture window")

    def result(self) -> dict:
        rc = self.procs.wait(self.proc, self.duration + 30)
        assert rc == 0, f"hepscope exited {rc}:\n" + self.proc.log_tail()
        return json.loads(self.json_path.read_text())


def hepscope_file_json(path: Path) -> dict:
    run = subprocess.run([str(hepscope_bin()), "print", "--json", str(path)],
                         capture_output=True, timeout=120)
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    return json.loads(run.stdout)


def groups_by_id(doc: dict) -> dict:
    return {g["correlation_id"]: g for g in doc["groups"]}


def source(doc: dict, name: str) -> dict:
    return next(s for s in doc["input"]["sources"] if s["name"] == name)


def what(message: dict):
    """A message as its method or its status code."""
    return message["method"] or message["status"]


def kinds(call: dict) -> collections.Counter:
    return collections.Counter(what(m) for m in call["messages"])


# What Kamailio receives, and so traces, for one call of each scenario.
BASIC_CALL = collections.Counter({"INVITE": 1, 100: 1, 180: 1, 200: 2, "ACK": 1, "BYE": 1})
BUSY_CALL = collections.Counter({"INVITE": 1, 100: 1, 486: 1})


# MARK: Kamailio, sipp, stunnel

@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory):
    """A self-signed certificate for Kamailio's TLS listener and stunnel's server side."""
    d = tmp_path_factory.mktemp("tls")
    key, cert = d / "key.pem", d / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class Kamailio:
    def __init__(self, procs: Procs, name: str, corr: str, hep_uri: str, uas_uri: str,
                 hep_version: int = 3, duplicate_uri: str | None = None, hlog: bool = False,
                 tls_cert=None):
        self.name, self.corr = name, corr
        self.sip_port = free_port()
        self.tls_port = free_port() if tls_cert else None
        home = procs.workdir / name
        (home / "run").mkdir(parents=True)
        values = {"SIP_PORT": self.sip_port, "TLS_PORT": self.tls_port or 0, "HEP_URI": hep_uri,
                  "DUP_URI": duplicate_uri or "", "UAS_URI": uas_uri, "TLS_CFG": home / "tls.cfg"}
        text = (HERE / "kamailio" / "proxy.cfg").read_text()
        for key, value in values.items():
            text = text.replace(f"@@{key}@@", str(value))
        assert "@@" not in text, "a placeholder of proxy.cfg was not rendered"
        cfg = home / "kamailio.cfg"
        cfg.write_text(text)
        defines = [f'CORR_ID="{corr}"', f"HEP_VERSION={hep_version}"]
        if duplicate_uri:
            defines.append("WITH_DUP_URI")
        if hlog:
            defines.append("WITH_HLOG")
        if tls_cert:
            cert, key = tls_cert
            tls = (HERE / "kamailio" / "tls.cfg").read_text()
            (home / "tls.cfg").write_text(tls.replace("@@CERT@@", str(cert)).replace("@@KEY@@", str(key)))
            defines.append("WITH_TLS")
        args = ["kamailio", "-DD", "-E", "-f", cfg, "-Y", home / "run", "-P", home / "kamailio.pid",
                "-w", home, "-m", "32", "-M", "4"]
        for d in defines:
            args += ["-A", d]
        self.proc = procs.start(name, args)
        procs.wait_listening(self.proc, self.sip_port, ("udp", "tcp"))
        if self.tls_port:
            procs.wait_listening(self.proc, self.tls_port, ("tcp",))


def sipp_args(scenario: str, port: int, transport: str, workdir: Path, name: str) -> list:
    return ["sipp", "-sf", HERE / "sipp" / scenario, "-i", "127.0.0.1", "-p", port,
            "-t", transport, "-mp", free_media_ports(), "-cp", free_port(), "-nostdin",
            "-trace_err", "-error_file", workdir / f"{name}-errors.log"]


def start_uas(procs: Procs, name: str, scenario: str, transport: str = "u1",
              contact: str | None = None, port: int | None = None) -> tuple[Proc, int]:
    """A sipp UAS that answers until it is stopped. `contact` is where in-dialog requests
    should reach it (stunnel's port for TLS)."""
    port = port or free_port()
    proto = "udp" if transport.startswith("u") else "tcp"
    contact = contact or f"127.0.0.1:{port};transport={proto}"
    proc = procs.start(name, sipp_args(scenario, port, transport, procs.workdir, name)
                       + ["-key", "contact", contact])
    procs.wait_listening(proc, port, (proto,))
    return proc, port


def start_uac(procs: Procs, name: str, scenario: str, target: str, calls: int,
              transport: str = "u1", rate: float = 10, call_ms: int = 200,
              timeout: int = 40) -> tuple[Proc, int]:
    port = free_port()
    args = sipp_args(scenario, port, transport, procs.workdir, name) + [
        target, "-s", "service", "-m", calls, "-r", rate, "-d", call_ms,
        "-timeout", f"{timeout}s", "-timeout_error", "-trace_screen",
        "-screen_file", procs.workdir / f"{name}-screen.log"]
    return procs.start(name, args), port


def finish_uac(procs: Procs, proc: Proc, timeout: float = 45) -> None:
    rc = procs.wait(proc, timeout)
    assert rc == 0, f"{proc.name} exited {rc} (0 = every call succeeded):\n" + proc.log_tail()


def start_stunnel(procs: Procs, name: str, tls_cert, services: dict) -> Proc:
    """stunnel in the foreground: `services` maps a service name to (client?, accept, connect)."""
    cert, key = tls_cert
    lines = ["foreground = yes", "pid =", "debug = 5", f"output = {procs.workdir / (name + '-detail.log')}"]
    for service, (client, accept, connect) in services.items():
        lines += [f"[{service}]", f"client = {'yes' if client else 'no'}",
                  f"accept = 127.0.0.1:{accept}", f"connect = 127.0.0.1:{connect}"]
        if not client:
            lines += [f"cert = {cert}", f"key = {key}"]
    conf = procs.workdir / f"{name}.conf"
    conf.write_text("\n".join(lines) + "\n")
    proc = procs.start(name, ["stunnel", conf])
    for _, accept, _ in services.values():
        procs.wait_listening(proc, accept, ("tcp",))
    return proc


# MARK: HEP as recorded by `hepscope --write`

def read_hep_recording(path: Path) -> list[dict]:
    """The HEP packets of a pcap written by `hepscope print --write` (HEP over UDP), decoded
    here independently of hepscope: per packet the recording time and the raw header fields."""
    data = path.read_bytes()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise AssertionError(f"{path} is not a pcap")
    nanos = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    assert linktype == 1, f"unexpected link type {linktype}"
    packets, at = [], 24
    while at + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[at:at + 16])
        frame = data[at + 16:at + 16 + caplen]
        at += 16 + caplen
        assert frame[12:14] == b"\x08\x00", "expected IPv4 over Ethernet"
        ihl = (frame[14] & 0x0F) * 4
        assert frame[14 + 9] == 17, "expected UDP"
        hep = frame[14 + ihl + 8:]
        p = {"recorded": sec + frac / (1e9 if nanos else 1e6)}
        p.update(decode_hep(hep))
        packets.append(p)
    return packets


def decode_hep(b: bytes) -> dict:
    if b[:4] == b"HEP3":
        p = {"version": 3}
        at, total = 6, struct.unpack(">H", b[4:6])[0]
        while at + 6 <= total:
            vendor, kind, length = struct.unpack(">HHH", b[at:at + 6])
            value = b[at + 6:at + length]
            if vendor == 0:
                if kind == 0x02:
                    p["ip_proto"] = value[0]
                elif kind == 0x09:
                    p["seconds"] = struct.unpack(">I", value)[0]
                elif kind == 0x0A:
                    p["micros"] = struct.unpack(">I", value)[0]
                elif kind == 0x0B:
                    p["payload_type"] = value[0]
                elif kind == 0x0C:
                    p["capture_id"] = struct.unpack(">I", value)[0]
                elif kind == 0x11:
                    p["correlation_id"] = value.decode()
            at += max(length, 6)
        return p
    version = b[0]
    assert version in (1, 2), f"not HEP: {b[:8].hex()}"
    p = {"version": version, "ip_proto": b[3]}
    address_bytes = 8 if b[2] == 2 else 32
    if version == 2:
        t = 8 + address_bytes
        # The v2 time header is little-endian: tv_sec, tv_usec, capture id, 2 bytes of padding.
        p["seconds"], p["micros"], p["capture_id"] = struct.unpack("<IIH", b[t:t + 10])
    return p
