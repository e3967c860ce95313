#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# rawpkt.py - hand-built frames for the lab's bypass battery: what an
# attacker with a packet socket can put on the wire, and a sniffer on the
# far end of the link that tells which of them crossed it.
#
#   rawpkt.py sniff IFACE             print "seen NAME" for each probe seen
#   rawpkt.py send IFACE NAME...      send the named probes out of IFACE
#   rawpkt.py bypass IFACE NAME       the same, after PACKET_QDISC_BYPASS;
#                                     prints "bypass refused" if refused
#   rawpkt.py socket KIND             try to make a socket: raw4, raw6,
#                                     packet; prints "made" or the errno
#
# Every probe is UDP to port 9999 (or claims to be) and carries the text
# "moatprobe:NAME", so the sniffer finds it whatever its headers say.
import errno
import os
import socket
import struct
import sys

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_QDISC_BYPASS = 20
SRC4, SRC6 = "192.0.2.2", "2001:db8::2"
ALLOWED4, BLOCKED4 = "203.0.113.7", "203.0.113.200"
ALLOWED6, BLOCKED6 = "2001:db8:1::10", "2001:db8:1::20"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def udp(payload, sport=40000, dport=9999):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def ipv4(dst, body, ihl=5, tot_len=None, frag=0, proto=17, options=b""):
    opts = options.ljust((ihl - 5) * 4, b"\x01") if ihl > 5 else b""
    total = 20 + len(opts) + len(body) if tot_len is None else tot_len
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | (ihl & 0xf), 0, total, 0x1234,
                      frag, 64, proto, 0, socket.inet_aton(SRC4),
                      socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr + opts)) + hdr[12:]
    return hdr + opts + body


def claim_ihl(packet, ihl):
    """A 20-byte header that says it is longer: options would be the data."""
    hdr = bytes([0x40 | ihl]) + packet[1:10] + b"\0\0" + packet[12:20]
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + packet[20:]


def ipv6(dst, body, nxt=17, plen=None):
    length = len(body) if plen is None else plen
    return (struct.pack("!IHBB", 0x60000000, length, nxt, 64) +
            socket.inet_pton(socket.AF_INET6, SRC6) +
            socket.inet_pton(socket.AF_INET6, dst) + body)


def ext_chain(kinds, last):
    """IPv6 extension headers of the given types, 8 bytes each."""
    out = b""
    for i, kind in enumerate(kinds):
        nxt = kinds[i + 1] if i + 1 < len(kinds) else last
        if kind == 44:  # fragment header: a later fragment, offset 1480
            out += struct.pack("!BBHI", nxt, 0, 185 << 3, 0x4242)
        else:  # hop-by-hop or destination options, padded with PadN
            out += struct.pack("!BB", nxt, 0) + b"\x01\x04\0\0\0\0"
    return out


def vlan(tags, inner_type):
    out, types = b"", [0x88a8] * (len(tags) - 1) + [0x8100]
    for tpid, vid in zip(types, tags):
        out += struct.pack("!HH", tpid, vid)
    return out, inner_type


def probe(name):
    """(ethertype, bytes after the Ethernet addresses) for a probe."""
    mark = b"moatprobe:" + name.encode()
    body = udp(mark)
    probes = {
        # Controls: well formed, to addresses the test's rules allow.
        "ok4": lambda: (0x0800, ipv4(ALLOWED4, body)),
        "opts_ok4": lambda: (0x0800, ipv4(ALLOWED4, body, ihl=6)),
        "ok6": lambda: (0x86dd, ipv6(ALLOWED6, body)),
        "ext_ok6": lambda: (0x86dd, ipv6(ALLOWED6, ext_chain([0, 60], 17) +
                                         body, nxt=0)),
        # Well formed, to addresses nothing allows.
        "blocked4": lambda: (0x0800, ipv4(BLOCKED4, body)),
        "opts_blocked4": lambda: (0x0800, ipv4(BLOCKED4, body, ihl=6)),
        "blocked6": lambda: (0x86dd, ipv6(BLOCKED6, body)),
        "ext_blocked6": lambda: (0x86dd, ipv6(BLOCKED6, ext_chain([0, 60], 17) +
                                              body, nxt=0)),
        # Bogus header lengths, to an allowed address and port.
        "ihl4": lambda: (0x0800, ipv4(ALLOWED4, body, ihl=4)),
        "ihl15": lambda: (0x0800, claim_ihl(ipv4(ALLOWED4, body), 15)),
        "totlen_short4": lambda: (0x0800, ipv4(ALLOWED4, body, tot_len=12)),
        "ext_long6": lambda: (0x86dd, ipv6(ALLOWED6, ext_chain([0] + [60] * 9,
                                                             17) + body, nxt=0)),
        # A later fragment alone: no first fragment named its port.
        "frag4": lambda: (0x0800, ipv4(ALLOWED4, mark, frag=185)),
        "frag6": lambda: (0x86dd, ipv6(ALLOWED6, ext_chain([44], 17) + mark,
                                       nxt=44)),
        # Tagged frames: the classifier must look past the tags.
        "vlan_blocked4": lambda: tagged([7], ipv4(BLOCKED4, body)),
        "qinq_blocked4": lambda: tagged([7, 8], ipv4(BLOCKED4, body)),
        "vlan_ok4": lambda: tagged([7], ipv4(ALLOWED4, body)),
        # Not IP at all.
        "ethertype_other": lambda: (0x88b5, mark),
    }
    return probes[name]()


def tagged(tags, packet):
    prefix, inner = vlan(tags, 0x0800)
    # The first tag's TPID stands where the EtherType goes.
    first = struct.unpack("!H", prefix[:2])[0]
    return first, prefix[2:] + struct.pack("!H", inner) + packet


def packet_socket(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    return s


def send(iface, names, bypass=False):
    s = packet_socket(iface)
    if bypass:
        try:
            s.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)
            print("bypass set", flush=True)
        except OSError as e:
            print("bypass refused:", errno.errorcode.get(e.errno, e.errno),
                  flush=True)
    # /sys shows the namespace that mounted it: ask the socket for the MAC.
    src = s.getsockname()[4]
    dst = bytes.fromhex(os.environ["PEER_MAC"].replace(":", ""))
    for name in names:
        ethertype, rest = probe(name)
        try:
            s.send(dst + src + struct.pack("!H", ethertype) + rest)
        except OSError as e:
            # A frame the egress hook dropped fails the send (ENOBUFS).
            print("dropped", name, errno.errorcode.get(e.errno, e.errno))


def sniff(iface):
    s = packet_socket(iface)
    print("ready", flush=True)
    while True:
        frame = s.recv(65535)
        at = frame.find(b"moatprobe:")
        if at >= 0:
            name = frame[at + 10:].split(b"\0")[0].decode("ascii", "replace")
            print("seen", name, flush=True)


def try_socket(kind):
    args = {
        "raw4": (socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),
        "raw6": (socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6),
        "packet": (socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL)),
    }[kind]
    try:
        socket.socket(*args).close()
        print("made")
    except OSError as e:
        print(errno.errorcode.get(e.errno, str(e.errno)))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "sniff":
        sniff(sys.argv[2])
    elif cmd == "send":
        send(sys.argv[2], sys.argv[3:])
    elif cmd == "bypass":
        send(sys.argv[2], sys.argv[3:], bypass=True)
    elif cmd == "socket":
        try_socket(sys.argv[2])
