#!/usr/bin/env python3
"""Makes corpus seeds for the fuzz targets from the real captures.

    Scripts/fuzz-seeds.py OUTDIR

Writes OUTDIR/<Target>/<name> files: HEP packets from Tests/Fixtures/kamailio/hep-raw-udp.bin
(also as HEPv1/v2 and compressed), small pcap/pcapng files cut from every capture (rewritten in
the other format and byte order too), SIP messages, and TCP streams in the TCPStreamFuzz layout.
The public sample captures in ../shared/captures/public are read in place when they are there.
Deterministic: the same captures give the same seeds.
"""
import hashlib
import os
import random
import struct
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KAMAILIO = os.path.join(ROOT, "Tests", "Fixtures", "kamailio")
PUBLIC = os.path.join(os.path.dirname(ROOT), "shared", "captures", "public")
MAX_CAPTURE_SEED = 16 * 1024


# -- reading captures --------------------------------------------------------------------------

def read_capture(path):
    """(linktype, records) where a record is (ts_seconds, ts_fraction, frame bytes); pcap or pcapng."""
    data = open(path, "rb").read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        link = struct.unpack(e + "I", data[20:24])[0]
        records, at = [], 24
        while at + 16 <= len(data):
            sec, frac, caplen, _ = struct.unpack(e + "IIII", data[at:at + 16])
            at += 16
            records.append((sec, frac, data[at:at + caplen]))
            at += caplen
        return link, records
    if magic == b"\x0a\x0d\x0d\x0a":
        e = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        links, records, at = [], [], 0
        while at + 12 <= len(data):
            btype, blen = struct.unpack(e + "II", data[at:at + 8])
            if blen < 12:
                break
            body = data[at + 8:at + blen - 4]
            if btype == 0x0A0D0D0A:
                links = []
            elif btype == 1:
                links.append(struct.unpack(e + "H", body[:2])[0])
            elif btype == 6:
                iface, hi, lo, caplen = struct.unpack(e + "IIII", body[:16])
                ts = hi << 32 | lo
                records.append((ts // 1000000, ts % 1000000, body[20:20 + caplen], links[iface] if iface < len(links) else 1))
            at += blen
        link = records[0][3] if records else 1
        return link, [(s, f, d) for s, f, d, l in records if l == link]
    return None, []


def transport(link, frame):
    """(proto, src, dst, sport, dport, seq, flags, payload) for UDP/TCP over IPv4/IPv6, else None."""
    if link == 1:
        off, etype = 14, struct.unpack(">H", frame[12:14])[0]
        while etype in (0x8100, 0x88A8) and len(frame) >= off + 4:
            etype = struct.unpack(">H", frame[off + 2:off + 4])[0]
            off += 4
    elif link == 113:
        off, etype = 16, struct.unpack(">H", frame[14:16])[0]
    elif link == 276:
        off, etype = 20, struct.unpack(">H", frame[0:2])[0]
    elif link in (101, 228, 229):
        off, etype = 0, 0x0800 if frame[:1] and frame[0] >> 4 == 4 else 0x86DD
    elif link in (0, 108):
        off, etype = 4, 0x0800 if len(frame) > 4 and frame[4] >> 4 == 4 else 0x86DD
    else:
        return None
    ip = frame[off:]
    if etype == 0x0800 and len(ip) >= 20:
        ihl = (ip[0] & 15) * 4
        if struct.unpack(">H", ip[6:8])[0] & 0x3FFF:
            return None  # a fragment
        proto, src, dst, l4 = ip[9], ip[12:16], ip[16:20], ip[ihl:struct.unpack(">H", ip[2:4])[0]]
    elif etype == 0x86DD and len(ip) >= 40:
        proto, src, dst, l4 = ip[6], ip[8:24], ip[24:40], ip[40:]
    else:
        return None
    if proto == 17 and len(l4) >= 8:
        sport, dport = struct.unpack(">HH", l4[:4])
        return ("udp", src, dst, sport, dport, 0, 0, l4[8:])
    if proto == 6 and len(l4) >= 20:
        sport, dport, seq = struct.unpack(">HHI", l4[:8])
        hl = (l4[12] >> 4) * 4
        return ("tcp", src, dst, sport, dport, seq, l4[13], l4[hl:])
    return None


# -- writing captures --------------------------------------------------------------------------

def pcap(link, records, endian="<", nanoseconds=False):
    magic = 0xA1B23C4D if nanoseconds else 0xA1B2C3D4
    out = [struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, 65535, link)]
    for sec, frac, frame in records:
        sec, frac = sec & 0xFFFFFFFF, frac % 1_000_000  # readers above do not scale every resolution
        out.append(struct.pack(endian + "IIII", sec, frac * 1000 if nanoseconds else frac, len(frame), len(frame)) + frame)
    return b"".join(out)


def pcapng(link, records, comment=None):
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = len(body) + 12
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    def option(code, value):
        return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)

    shb_opts = option(1, b"fuzz seed") + option(0, b"")
    out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + shb_opts)]
    # Nanosecond resolution (if_tsresol 9) exercises the time scale.
    out.append(block(1, struct.pack("<HHI", link, 0, 65535) + option(9, b"\x09") + option(0, b"")))
    for i, (sec, frac, frame) in enumerate(records):
        sec, frac = sec & 0xFFFFFFFF, frac % 1_000_000
        ts = sec * 1_000_000_000 + frac * 1000
        opts = option(1, comment.encode()) + option(0, b"") if comment and i == 0 else b""
        body = struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame)) + frame
        body += b"\0" * (-len(body) % 4) + opts
        out.append(block(6, body))
    return b"".join(out)


# -- seeds per target --------------------------------------------------------------------------

class Seeds:
    def __init__(self, out):
        self.out = out
        self.count = {}

    def add(self, target, data, label):
        folder = os.path.join(self.out, target)
        os.makedirs(folder, exist_ok=True)
        name = "%s-%s" % (label, hashlib.sha1(data).hexdigest()[:12])
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        self.count[target] = self.count.get(target, 0) + 1


def raw_hep_packets():
    data = open(os.path.join(KAMAILIO, "hep-raw-udp.bin"), "rb").read()
    packets, at = [], 0
    while at + 4 <= len(data):
        n = struct.unpack(">I", data[at:at + 4])[0]
        packets.append(data[at + 4:at + 4 + n])
        at += 4 + n
    return packets


def hep3_chunks(packet):
    chunks, at = [], 6
    total = struct.unpack(">H", packet[4:6])[0]
    while at + 6 <= total:
        vendor, ctype, n = struct.unpack(">HHH", packet[at:at + 6])
        if n < 6:
            break
        chunks.append((vendor, ctype, packet[at + 6:at + n]))
        at += n
    return chunks


def hep3(chunks):
    body = b"".join(struct.pack(">HHH", v, t, len(b) + 6) + b for v, t, b in chunks)
    return b"HEP3" + struct.pack(">H", len(body) + 6) + body


def hep_v1v2(packet, version):
    """The same message as HEPv1/v2 (IPv4 only): the header the old C agents sent."""
    c = {t: b for v, t, b in hep3_chunks(packet) if v == 0}
    head = struct.pack(">BBBBHH", version, 16 if version == 1 else 28, 2, c.get(2, b"\x11")[0],
                       struct.unpack(">H", c.get(7, b"\0\0"))[0], struct.unpack(">H", c.get(8, b"\0\0"))[0])
    head += c.get(3, b"\0" * 4) + c.get(4, b"\0" * 4)
    if version == 2:
        head += struct.pack("<IIHH", struct.unpack(">I", c.get(9, b"\0" * 4))[0],
                            struct.unpack(">I", c.get(10, b"\0" * 4))[0], 1, 0)
    return head + c.get(15, b"")


def hep_seeds(seeds, sip_messages):
    packets = raw_hep_packets()
    for i, p in enumerate(packets):
        if i % 4 == 0:
            seeds.add("HEPDecoderFuzz", p, "kamailio")
        chunks = hep3_chunks(p)
        payload = [b for v, t, b in chunks if t == 15]
        if payload and i % 7 == 0:
            sip_messages.append(payload[0])
    # A call's packets back to back: the target cuts them apart, so the model sees a dialog.
    for start in range(0, min(len(packets), 80), 16):
        seeds.add("HEPDecoderFuzz", b"".join(packets[start:start + 8]), "kamailio-run")
    for i in range(0, len(packets), 40):
        p = packets[i]
        chunks = hep3_chunks(p)
        seeds.add("HEPDecoderFuzz", hep_v1v2(p, 1), "v1")
        seeds.add("HEPDecoderFuzz", hep_v1v2(p, 2), "v2")
        # The payload compressed (chunk 0x10), as captagent and heplify can send it.
        squeezed = [(v, 0x10, zlib.compress(b)) if t == 15 else (v, t, b) for v, t, b in chunks]
        seeds.add("HEPDecoderFuzz", hep3(squeezed), "compressed")
        # A log event (payload type 100) whose correlation id is the call's Call-ID.
        sip = [b for v, t, b in chunks if t == 15][0]
        call_id = next((l.split(b":", 1)[1].strip() for l in sip.split(b"\r\n") if l.lower().startswith(b"call-id:")), b"x")
        event = [(v, t, b) for v, t, b in chunks if t not in (11, 15, 17)]
        event += [(0, 11, b"\x64"), (0, 17, call_id), (0, 15, b"{\"event\":\"fuzz seed\"}")]
        seeds.add("HEPDecoderFuzz", hep3(event), "event")


def capture_files():
    files = [os.path.join(KAMAILIO, n) for n in sorted(os.listdir(KAMAILIO)) if n.endswith(".pcap")]
    if os.path.isdir(PUBLIC):
        files += [os.path.join(PUBLIC, n) for n in sorted(os.listdir(PUBLIC)) if n.endswith((".pcap", ".pcapng"))]
    return files


def capture_seeds(seeds, sip_messages, streams):
    rng = random.Random(1)
    for path in capture_files():
        name = os.path.splitext(os.path.basename(path))[0]
        raw = open(path, "rb").read()
        if len(raw) <= MAX_CAPTURE_SEED:
            seeds.add("CaptureFileFuzz", raw, name)
        link, records = read_capture(path)
        if not records:
            continue
        # The first records and a window from the middle, in both formats, within the size cap.
        for label, start in (("head", 0), ("middle", len(records) // 2)):
            piece, size = [], 0
            for r in records[start:]:
                if piece and size + len(r[2]) + 16 > MAX_CAPTURE_SEED // 2 or len(piece) >= 12:
                    break
                piece.append(r)
                size += len(r[2]) + 16
            seeds.add("CaptureFileFuzz", pcap(link, piece), "%s-%s" % (name, label))
            seeds.add("CaptureFileFuzz", pcapng(link, piece, comment="seed from %s" % name), "%s-%s-ng" % (name, label))
        seeds.add("CaptureFileFuzz", pcap(link, records[:3], endian=">", nanoseconds=True), name + "-be-ns")
        # Application data for the other targets.
        flows = {}
        for sec, frac, frame in records:
            t = transport(link, frame)
            if not t:
                continue
            proto, src, dst, sport, dport, seq, flags, payload = t
            if proto == "udp" and payload[:4] != b"HEP3" and b"SIP/2.0" in payload[:300] and rng.random() < 0.15:
                sip_messages.append(payload)
            if proto == "tcp":
                key = (src, dst, sport, dport)
                flow = flows.setdefault(key, {"base": seq + (1 if flags & 2 else 0), "bytes": bytearray()})
                if payload:
                    at = (seq - flow["base"]) & 0xFFFFFFFF
                    if at < 1 << 20:
                        data = flow["bytes"]
                        if len(data) < at + len(payload):
                            data.extend(b"\0" * (at + len(payload) - len(data)))
                        data[at:at + len(payload)] = payload
        for data in flows.values():
            if data["bytes"]:
                streams.append(bytes(data["bytes"]))


def tcp_seed(stream, pieces, options, isn):
    """The TCPStreamFuzz layout: isn, count, options, (offset, length, flags) each, then S."""
    head = struct.pack(">IBB", isn, len(pieces), options)
    for off, n, flags in pieces:
        head += struct.pack(">HHB", off, n, flags)
    return head + stream


def tcp_seeds(seeds, streams):
    rng = random.Random(2)
    for i, s in enumerate(streams[:40]):
        for w, start in enumerate((0, len(s) // 3)):
            window = s[start:start + 3000]
            if not window:
                continue
            cuts = sorted(set([0, len(window)] + [rng.randrange(len(window)) for _ in range(rng.randrange(1, 8))]))
            pieces = [(a, b - a, 0) for a, b in zip(cuts, cuts[1:])]
            isn = rng.choice([1, 0xFFFFFF00, rng.getrandbits(32)])
            seeds.add("TCPStreamFuzz", tcp_seed(window, pieces, 1, isn), "stream%d-%d" % (i, w))
            shuffled = pieces[:]
            rng.shuffle(shuffled)
            if len(shuffled) > 1:
                shuffled.insert(1, shuffled[0])  # a retransmission
            seeds.add("TCPStreamFuzz", tcp_seed(window, shuffled, 1, isn), "stream%d-%d-reordered" % (i, w))
            if len(pieces) > 2:
                seeds.add("TCPStreamFuzz", tcp_seed(window, pieces[:1] + pieces[2:], 0, isn), "stream%d-%d-gap" % (i, w))
            chaos = [(a, n, rng.choice([0, 0, 1, 2, 4, 0x80])) for a, n, _ in pieces]
            seeds.add("TCPStreamFuzz", tcp_seed(window, chaos, 4, isn), "stream%d-%d-chaos" % (i, w))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    seeds = Seeds(sys.argv[1])
    sip_messages, streams = [], []
    hep_seeds(seeds, sip_messages)
    capture_seeds(seeds, sip_messages, streams)
    tcp_seeds(seeds, streams)
    for m in sip_messages:
        seeds.add("SIPParserFuzz", m, "sip")
    for s in streams[:20]:
        seeds.add("SIPParserFuzz", s[:4000], "stream")
    for target, n in sorted(seeds.count.items()):
        print("%s: %d seeds" % (target, n))


if __name__ == "__main__":
    main()
