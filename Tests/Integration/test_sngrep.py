"""sngrep as a HEP sender: `sngrep -N -q -I capture.pcap -H udp:127.0.0.1:PORT` replays a plain
SIP capture as HEP into a live hepscope, which must show what it shows when it opens the pcap
itself. sngrep's HEPv3 capture id goes out as id x 65536 on little-endian hosts (it stores
htons(id) in a 32-bit field); hepscope shows the id as configured.
"""

from __future__ import annotations

import collections
import subprocess
import sys

import pytest

from conftest import (FIXTURES, PUBLIC_CAPTURES, LiveCapture, hepscope_file_json,
                      read_hep_recording, what)

CAPTURE_ID = 4242

CASES = [
    pytest.param(FIXTURES / "sip-plain-udp.pcap", 3, id="kamailio-plain-udp-hep3"),
    pytest.param(FIXTURES / "sip-plain-udp.pcap", 2, id="kamailio-plain-udp-hep2"),
    pytest.param(PUBLIC_CAPTURES / "sngrep_aaa.pcap", 3, id="public-sngrep-aaa-hep3",
                 marks=pytest.mark.skipif(not PUBLIC_CAPTURES.is_dir(),
                                          reason=f"public captures not present at {PUBLIC_CAPTURES}")),
]


def flows(doc: dict) -> dict:
    """Per Call-ID, the multiset of (src, dst, transport, method or status, CSeq)."""
    result = collections.defaultdict(collections.Counter)
    for group in doc["groups"]:
        for call in group["calls"]:
            for m in call["messages"]:
                result[call["call_id"]][(m["src"], m["dst"], m["transport"], what(m), m["cseq"])] += 1
    return dict(result)


@pytest.mark.parametrize("capture,version", CASES)
def test_sngrep_replays_a_capture_as_hep(procs, capture, version):
    direct = hepscope_file_json(capture)
    expected_messages = sum(len(c["messages"]) for g in direct["groups"] for c in g["calls"])
    assert expected_messages > 0

    recording = procs.workdir / "received.pcap"
    hep = LiveCapture(procs, 8, write=recording)
    # Only this file's settings: -F skips /etc/sngreprc and ~/.sngreprc.
    config = procs.workdir / "sngreprc"
    config.write_text(f"set eep.send.id {CAPTURE_ID}\nset eep.send.version {version}\n")
    sender = procs.start("sngrep", ["sngrep", "-F", "-f", config, "-N", "-q", "-I", capture,
                                    "-H", f"udp:127.0.0.1:{hep.port}"])
    rc = procs.wait(sender, 60)
    assert rc == 0, sender.log_tail()
    hep.check_in_time()
    live = hep.result()

    # The same calls and messages as from the file, now as HEP with sngrep's capture id.
    assert [g["correlation_id"] for g in live["groups"]] == [g["correlation_id"] for g in direct["groups"]]
    assert sorted(flows(live)) == sorted(flows(direct))
    assert flows(live) == flows(direct)
    live_messages = [m for g in live["groups"] for c in g["calls"] for m in c["messages"]]
    assert len(live_messages) == expected_messages
    assert group_message_count(live) == group_message_count(direct)
    assert {m["hep_version"] for m in live_messages} == {version}
    assert {m["capture_id"] for m in live_messages} == {CAPTURE_ID}
    assert live["input"]["hep_packets"][f"v{version}"] == expected_messages
    assert live["input"]["malformed"] == 0

    # On the wire: HEPv3 carries id x 65536 from a little-endian host; v2 has a 16-bit field.
    packets = read_hep_recording(recording)
    assert len(packets) == expected_messages
    wire = CAPTURE_ID * 65536 if version == 3 and sys.byteorder == "little" else CAPTURE_ID
    assert {p["capture_id"] for p in packets} == {wire}


def group_message_count(doc: dict) -> int:
    return sum(g["message_count"] for g in doc["groups"])


def test_sngrep_has_the_flags_used_here():
    """The flags above are sngrep 1.6's: fail clearly if a different sngrep is installed."""
    out = subprocess.run(["sngrep", "--help"], capture_output=True, text=True, timeout=30)
    text = out.stdout + out.stderr
    for flag in ("-N --no-interface", "-q --quiet", "-I --input", "-H --eep-send", "-f --config",
                 "-F --no-config"):
        assert flag in text, f"sngrep --help has no '{flag}'"
    settings = subprocess.run(["sngrep", "-F", "-D"], capture_output=True, text=True, timeout=30).stdout
    assert "eep.send.id" in settings and "eep.send.version" in settings
