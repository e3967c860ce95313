#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# probe.py - one network attempt, and how it ended, in one word: what the
# moat run tests check, since "refused at once" and "dropped" differ only
# in the errno and a timeout.
#
#   probe.py tcp HOST PORT      connect(): "connected", "refused", ...
#   probe.py udp HOST PORT      sendto() and a reply: "reply", "refused",
#                               "timeout", ...
#   probe.py icmp HOST          an echo request from a raw socket (root):
#                               "reply", "timeout", errno
#   probe.py routed tcp|udp VIA HOST PORT
#                               reach HOST with a source route whose first
#                               hop is VIA (IPv4 LSRR, IPv6 segment routing
#                               header), as an exfiltrating process would
#                               reach VIA through a name the policy allows:
#                               TCP sets it with setsockopt() and connects,
#                               UDP sends it as a control message
#   probe.py socket KIND        packet, sock_packet, xdp: "made" or errno
#   probe.py xdp_umem           register a UMEM on an AF_XDP socket, the
#                               step before it can send: "registered" or
#                               errno
import ctypes
import errno
import mmap
import socket
import struct
import sys


def word(err):
    if isinstance(err, socket.timeout):
        return "timeout"
    if err.errno == errno.ECONNREFUSED:
        return "refused"
    return errno.errorcode.get(err.errno, str(err.errno))


def family_of(host):
    return socket.getaddrinfo(host, None)[0][0]


def tcp(host, port):
    s = socket.socket(family_of(host), socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect((host, int(port)))
        return "connected"
    except OSError as e:
        return word(e)


def udp(host, port):
    s = socket.socket(family_of(host), socket.SOCK_DGRAM)
    s.settimeout(2)
    try:
        s.sendto(b"ping", (host, int(port)))
        s.recvfrom(512)
        return "reply"
    except OSError as e:
        return word(e)


# IPv4: the option (after a no-op, as a sender may pad) lists the first
# hop; the kernel sends the packet there and moves the socket's
# destination to the end of the route (RFC 791 3.1, loose source and
# record route). IPv6: segments[0] is replaced by the destination, the
# packet goes to segments[segments_left] (RFC 8754). Returns the level,
# the socket option and the control message type that carry it, and its
# bytes.
def route_option(family, via):
    if family == socket.AF_INET:
        hop = socket.inet_pton(socket.AF_INET, via)
        # 7: IP_RETOPTS, the control message that carries IP options
        return socket.IPPROTO_IP, socket.IP_OPTIONS, 7, \
            bytes([1, 131, 7, 4]) + hop
    hop = socket.inet_pton(socket.AF_INET6, via)
    header = bytes([0, 4, 4, 1, 1, 0, 0, 0])
    return socket.IPPROTO_IPV6, socket.IPV6_RTHDR, socket.IPV6_RTHDR, \
        header + bytes(16) + hop


def routed(proto, via, host, port):
    family = family_of(via)
    dest = socket.getaddrinfo(host, int(port), family)[0][4]
    level, option, cmsg_type, route = route_option(family, via)
    if proto == "tcp":
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(3)
        try:
            s.setsockopt(level, option, route)
        except OSError as e:
            return "setsockopt " + word(e)
        try:
            s.connect(dest)
            return "connected"
        except OSError as e:
            return word(e)
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(2)
    try:
        s.sendmsg([b"ping"], [(level, cmsg_type, route)], 0, dest)
        s.recvfrom(512)
        return "reply"
    except OSError as e:
        return word(e)


def checksum(data):
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF


# No connect() first, as ping does to pick a source address: only the
# packet itself meets moat.
def icmp(host):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(2)
    header = struct.pack("!BBHHH", 8, 0, 0, 0x6d6f, 1)
    packet = struct.pack("!BBHHH", 8, 0, checksum(header + b"moat"),
                         0x6d6f, 1) + b"moat"
    try:
        s.sendto(packet, (host, 0))
        while True:
            data, _ = s.recvfrom(1024)
            if data[20] == 0:  # an echo reply
                return "reply"
    except OSError as e:
        return word(e)


SOL_XDP = 283
XDP_UMEM_REG = 4


def xdp_umem():
    area = mmap.mmap(-1, 16 * 4096)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(area))
    # struct xdp_umem_reg as first defined: addr, len, chunk_size, headroom
    reg = struct.pack("=QQII", addr, len(area), 2048, 0)
    try:
        s = socket.socket(44, socket.SOCK_RAW, 0)  # AF_XDP
        s.setsockopt(SOL_XDP, XDP_UMEM_REG, reg)
        return "registered"
    except OSError as e:
        return word(e)


def make_socket(kind):
    args = {
        "packet": (socket.AF_PACKET, socket.SOCK_RAW, 0),
        "sock_packet": (socket.AF_INET, 10, 0),  # SOCK_PACKET
        "xdp": (44, socket.SOCK_RAW, 0),  # AF_XDP
    }[kind]
    try:
        socket.socket(*args).close()
        return "made"
    except OSError as e:
        return word(e)


def main():
    kind, rest = sys.argv[1], sys.argv[2:]
    commands = {"tcp": tcp, "udp": udp, "icmp": icmp, "routed": routed,
                "socket": make_socket, "xdp_umem": xdp_umem}
    print(commands[kind](*rest))


if __name__ == "__main__":
    main()
