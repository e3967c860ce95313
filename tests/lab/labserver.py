#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# labserver.py - the lab's application servers: HTTP on several TCP ports
# and a UDP echo, on every address of the lab's network namespace.
import selectors
import socket
import struct
import sys

TCP_PORTS = [int(p) for p in sys.argv[1].split(",")] if len(sys.argv) > 1 else [80]
UDP_PORTS = [int(p) for p in sys.argv[2].split(",")] if len(sys.argv) > 2 else [9999]

sel = selectors.DefaultSelector()


IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)


def listen(kind, port):
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    if kind == socket.SOCK_STREAM:
        s.listen(128)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, kind)


# UDP replies must leave from the address the datagram was sent to, or a
# connected client drops them: one socket per family, with packet info.
def listen_udp(port):
    s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s4.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    s4.bind(("0.0.0.0", port))
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
    s6.bind(("::", port))
    for s in (s4, s6):
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, socket.SOCK_DGRAM)


def local_name(sock):
    host = sock.getsockname()[0]
    return host[7:] if host.startswith("::ffff:") else host


def serve_tcp(listener):
    conn, _ = listener.accept()
    conn.settimeout(2)
    try:
        conn.recv(4096)
        body = ("hello from %s port %d\n" % (local_name(conn), conn.getsockname()[1])).encode()
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    except OSError:
        pass
    finally:
        conn.close()


def serve_udp(sock):
    data, anc, _, peer = sock.recvmsg(65535, 256)
    reply = []
    for level, kind, cdata in anc:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO:
            # struct in_pktinfo: ifindex, spec_dst, addr (the destination)
            dst = cdata[8:12]
            reply = [(level, kind, struct.pack("@i4s4s", 0, dst, bytes(4)))]
        elif level == socket.IPPROTO_IPV6 and kind == socket.IPV6_PKTINFO:
            reply = [(level, kind, cdata[:16] + bytes(4))]
    sock.sendmsg([b"echo " + data], reply, 0, peer)


for port in TCP_PORTS:
    listen(socket.SOCK_STREAM, port)
for port in UDP_PORTS:
    listen_udp(port)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        if key.data == socket.SOCK_STREAM:
            serve_tcp(key.fileobj)
        else:
            serve_udp(key.fileobj)
