"""Kamailio 5.6 siptrace feeding a live `hepscope print --json`.

A stateful proxy (record_route) between a sipp UAC and a sipp UAS on 127.0.0.1 traces every
message it receives with sip_trace(HEP URI, correlation id, "m"): initial requests,
loose-routed in-dialog requests and replies. Only received messages are traced, so a basic call
is 7 messages (INVITE, 100, 180, 200, ACK, BYE, 200) and a busy one 3 (INVITE, 100, 486: the
caller's ACK of the 486 is absorbed by the proxy's transaction).
"""

from __future__ import annotations

import time

import pytest

from conftest import (BASIC_CALL, BUSY_CALL, Kamailio, LiveCapture, corr_id, finish_uac,
                      free_port, groups_by_id, kinds, read_hep_recording, source, start_stunnel,
                      start_uac, start_uas)

# Seconds each hepscope run listens: Kamailio and sipp start and finish a few calls in ~3 s.
WINDOW = 10


def check_basic_calls(group: dict, calls: int, transport: str, hep_version: int,
                      capture_id, correlation) -> None:
    assert group["call_count"] == calls
    assert len(group["calls"]) == calls
    assert group["statistics"]["states"] == {"completed": calls}
    for call in group["calls"]:
        assert call["state"] == "completed", call["call_id"]
        assert call["final_status"] == 200
        assert kinds(call) == BASIC_CALL, call["call_id"]
        for m in call["messages"]:
            assert m["transport"] == transport
            assert m["hep_version"] == hep_version
            assert m["capture_id"] == capture_id
            assert m["correlation_id"] == correlation


def test_two_instances_at_once_udp_basic_and_busy(procs):
    """Two proxies with their own correlation ids send to one hepscope at the same time:
    5 answered calls through one, 5 calls rejected 486 through the other."""
    hep = LiveCapture(procs, WINDOW)
    corr_a, corr_b = corr_id("udp-a"), corr_id("udp-b")
    uas_a, uas_a_port = start_uas(procs, "uas-a", "uas.xml")
    uas_b, uas_b_port = start_uas(procs, "uas-b", "uas-busy.xml")
    kam_a = Kamailio(procs, "kamailio-a", corr_a, hep.udp_uri, f"sip:127.0.0.1:{uas_a_port}")
    kam_b = Kamailio(procs, "kamailio-b", corr_b, hep.udp_uri, f"sip:127.0.0.1:{uas_b_port}")
    uac_a, uac_a_port = start_uac(procs, "uac-a", "uac.xml", f"127.0.0.1:{kam_a.sip_port}", calls=5)
    uac_b, uac_b_port = start_uac(procs, "uac-b", "uac-busy.xml", f"127.0.0.1:{kam_b.sip_port}", calls=5)
    finish_uac(procs, uac_a)
    finish_uac(procs, uac_b)
    hep.check_in_time()
    doc = hep.result()

    groups = groups_by_id(doc)
    assert set(groups) == {corr_a, corr_b}
    a, b = groups[corr_a], groups[corr_b]
    assert a["correlation_source"] == b["correlation_source"] == "hep"

    assert a["message_count"] == 5 * 7
    check_basic_calls(a, 5, "UDP", 3, 1, corr_a)
    for call in a["calls"]:
        for m in call["messages"]:
            # Requests come from the caller, replies from the callee; all reach the proxy.
            sender = uac_a_port if m["method"] else uas_a_port
            assert (m["src"], m["dst"]) == (f"127.0.0.1:{sender}", f"127.0.0.1:{kam_a.sip_port}")

    assert b["message_count"] == 5 * 3
    assert b["call_count"] == 5
    assert b["statistics"]["states"] == {"busy": 5}
    assert b["statistics"]["failures_by_status"] == {"486": 5}
    for call in b["calls"]:
        assert call["state"] == "busy", call["call_id"]
        assert call["final_status"] == 486
        assert kinds(call) == BUSY_CALL, call["call_id"]
        for m in call["messages"]:
            assert (m["transport"], m["hep_version"], m["capture_id"], m["correlation_id"]) == ("UDP", 3, 1, corr_b)
            sender = uac_b_port if m["method"] else uas_b_port
            assert (m["src"], m["dst"]) == (f"127.0.0.1:{sender}", f"127.0.0.1:{kam_b.sip_port}")

    counters = doc["input"]
    assert counters["hep_packets"] == {"v1": 0, "v2": 0, "v3": 50}
    assert (counters["sip_messages"], counters["other_events"], counters["malformed"]) == (50, 0, 0)
    assert source(doc, f"udp://127.0.0.1:{hep.port}")["counters"]["packets"] == 50
    assert source(doc, f"tcp://127.0.0.1:{hep.port}")["counters"]["packets"] == 0


@pytest.mark.parametrize("transport", ["TCP", "TLS"])
def test_sip_over_tcp_and_tls(procs, tls_cert, transport):
    """SIP over TCP, and over TLS on both legs (Debian's sipp has no TLS: stunnel wraps its
    TCP). Kamailio marks TLS with the HEP IP protocol 22, which hepscope shows as TLS."""
    recording = procs.workdir / "received.pcap"
    hep = LiveCapture(procs, WINDOW, write=recording)
    corr = corr_id(transport.lower())
    if transport == "TCP":
        uas, uas_port = start_uas(procs, "uas", "uas.xml", transport="t1")
        kam = Kamailio(procs, "kamailio", corr, hep.udp_uri, f"sip:127.0.0.1:{uas_port};transport=tcp")
        uac_target = f"127.0.0.1:{kam.sip_port}"
    else:
        uas_port, uas_tls_port, uac_tls_port = free_port(), free_port(), free_port()
        # In-dialog requests must reach the callee through stunnel too: its Contact says so.
        uas, _ = start_uas(procs, "uas", "uas.xml", transport="t1", port=uas_port,
                           contact=f"127.0.0.1:{uas_tls_port};transport=tls")
        kam = Kamailio(procs, "kamailio", corr, hep.udp_uri,
                       f"sip:127.0.0.1:{uas_tls_port};transport=tls", tls_cert=tls_cert)
        start_stunnel(procs, "stunnel", tls_cert, {
            "caller": (True, uac_tls_port, kam.tls_port),      # sipp UAC -> TLS -> Kamailio
            "callee": (False, uas_tls_port, uas_port),         # Kamailio -> TLS -> sipp UAS
        })
        uac_target = f"127.0.0.1:{uac_tls_port}"
    uac, _ = start_uac(procs, "uac", "uac.xml", uac_target, calls=3, transport="t1")
    finish_uac(procs, uac)
    hep.check_in_time()
    doc = hep.result()

    groups = groups_by_id(doc)
    assert set(groups) == {corr}
    assert groups[corr]["message_count"] == 3 * 7
    check_basic_calls(groups[corr], 3, transport, 3, 1, corr)
    for call in groups[corr]["calls"]:
        for m in call["messages"]:
            # Requests reach the proxy's SIP or TLS port; replies reach its own outgoing
            # connection, whose port is ephemeral, and senders behind stunnel are too.
            if transport == "TCP" and m["method"]:
                assert m["dst"] == f"127.0.0.1:{kam.sip_port}"
            if transport == "TLS" and m["method"]:
                assert m["dst"] == f"127.0.0.1:{kam.tls_port}"
    assert doc["input"]["hep_packets"]["v3"] == 21

    # The raw HEP as Kamailio sent it: IP protocol 6 for TCP, 22 for TLS.
    packets = read_hep_recording(recording)
    assert len(packets) == 21
    assert {p["ip_proto"] for p in packets} == {6 if transport == "TCP" else 22}


@pytest.mark.parametrize("version", [2, 1])
def test_hep_version_2_and_1(procs, version):
    """siptrace with hep_version 2 and 1. Kamailio 5.6.3 sends these only to duplicate_uri
    (the address given to sip_trace() alone sends nothing), and neither carries a correlation
    id: the calls land in the uncorrelated group. v2's time header is little-endian; v1 has no
    time and no capture id, so the arrival time stands in."""
    recording = procs.workdir / "received.pcap"
    hep = LiveCapture(procs, WINDOW, write=recording)
    before = time.time()
    uas, uas_port = start_uas(procs, "uas", "uas.xml")
    kam = Kamailio(procs, "kamailio", corr_id(f"v{version}"), hep.udp_uri, f"sip:127.0.0.1:{uas_port}",
                   hep_version=version, duplicate_uri=hep.udp_uri)
    uac, _ = start_uac(procs, "uac", "uac.xml", f"127.0.0.1:{kam.sip_port}", calls=3)
    finish_uac(procs, uac)
    after = time.time()
    hep.check_in_time()
    doc = hep.result()

    groups = groups_by_id(doc)
    assert set(groups) == {None}
    assert groups[None]["correlation_source"] == "none"
    assert groups[None]["message_count"] == 3 * 7
    check_basic_calls(groups[None], 3, "UDP", version, 1 if version == 2 else None, None)
    counters = doc["input"]
    assert counters["hep_packets"] == {"v1": 21 if version == 1 else 0, "v2": 21 if version == 2 else 0, "v3": 0}

    packets = read_hep_recording(recording)
    assert len(packets) == 21 and {p["version"] for p in packets} == {version}
    times = sorted(m["time"] for c in groups[None]["calls"] for m in c["messages"])
    assert before - 1 < times[0] and times[-1] < after + 1
    if version == 2:
        # hepscope's times are the senders' (little-endian) time headers to the microsecond.
        sent = sorted(p["seconds"] + p["micros"] / 1e6 for p in packets)
        assert times == pytest.approx(sent, abs=1e-6)
        assert {p["capture_id"] for p in packets} == {1}
    else:
        # No time in HEPv1: the arrival time, as recorded.
        assert times == pytest.approx(sorted(p["recorded"] for p in packets), abs=1e-6)


def test_hep_over_tcp(procs):
    """siptrace to a `;transport=tcp` HEP URI: HEPv3 over one TCP connection."""
    hep = LiveCapture(procs, WINDOW)
    corr = corr_id("hep-tcp")
    uas, uas_port = start_uas(procs, "uas", "uas.xml")
    kam = Kamailio(procs, "kamailio", corr, hep.tcp_uri, f"sip:127.0.0.1:{uas_port}")
    uac, _ = start_uac(procs, "uac", "uac.xml", f"127.0.0.1:{kam.sip_port}", calls=3)
    finish_uac(procs, uac)
    hep.check_in_time()
    doc = hep.result()

    groups = groups_by_id(doc)
    assert set(groups) == {corr}
    check_basic_calls(groups[corr], 3, "UDP", 3, 1, corr)
    tcp = source(doc, f"tcp://127.0.0.1:{hep.port}")["counters"]
    udp = source(doc, f"udp://127.0.0.1:{hep.port}")["counters"]
    assert (tcp["packets"], tcp["sip_messages"], tcp["malformed"]) == (21, 21, 0)
    assert tcp["connections_accepted"] == 1
    assert udp["packets"] == 0


def test_hlog_events(procs):
    """hlog("$var(corr)", ...) for every request the proxy traces (INVITE, ACK, BYE): HEP
    log events (type 100) in the run's group, with its correlation id and no Call-ID.
    hlog() sends to duplicate_uri, and without it a Kamailio 5.6.3 worker crashes."""
    hep = LiveCapture(procs, WINDOW)
    corr = corr_id("hlog")
    uas, uas_port = start_uas(procs, "uas", "uas.xml")
    kam = Kamailio(procs, "kamailio", corr, hep.udp_uri, f"sip:127.0.0.1:{uas_port}",
                   duplicate_uri=hep.udp_uri, hlog=True)
    uac, _ = start_uac(procs, "uac", "uac.xml", f"127.0.0.1:{kam.sip_port}", calls=3)
    finish_uac(procs, uac)
    hep.check_in_time()
    doc = hep.result()

    groups = groups_by_id(doc)
    assert set(groups) == {corr}
    group = groups[corr]
    check_basic_calls(group, 3, "UDP", 3, 1, corr)
    assert group["message_count"] == 3 * 7 + 3 * 3
    events = group["events"]
    assert len(events) == 9
    for e in events:
        assert (e["type"], e["payload_type"], e["call_id"], e["correlation_id"], e["hep_version"]) == \
            ("LOG", 100, None, corr, 3)
    expected = sorted(f"proxy received {method} {c['call_id']}"
                      for c in group["calls"] for method in ("INVITE", "ACK", "BYE"))
    assert sorted(e["text"] for e in events) == expected
    # Their correlation id is the run's, not a Call-ID: no call claims them.
    assert all(c["events"] == 0 for c in group["calls"])
    counters = doc["input"]
    assert (counters["sip_messages"], counters["other_events"]) == (21, 9)
