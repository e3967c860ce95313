#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# fakedns.py - a misbehaving upstream resolver for the lab's fault and
# forgery tests. What it does with a query depends on the query's first
# label:
#   forge     first forged replies (from another address, with another id,
#             for another question, not a response), then the real one
#   silent    nothing
#   slow      the real answer, 5 seconds late
#   servfail  SERVFAIL
#   garbage   bytes that are no DNS message, then a message with the right
#             id and question whose answer section is garbage
#   truncated a message with the right id and question, cut off inside its
#             answer record
#   tcfail    truncated over UDP (TC set); over TCP the connection is cut
#   rotate    one A record with TTL 1, a different address each time
#   other     A 198.51.100.10, TTL 60
# Forged and garbage answers name 203.0.113.7, which must stay blocked.
# Usage: fakedns.py ADDR FORGE-ADDR
import os
import selectors
import socket
import struct
import sys
import threading
import time

ADDR, FORGE_ADDR = sys.argv[1], sys.argv[2]
EVIL = "203.0.113.7"
GOOD = "198.51.100.10"
rotation = [0]


def parse_query(msg):
    """(id, flags, question bytes, first label, qtype) or None."""
    if len(msg) < 12:
        return None
    qid, flags = struct.unpack(">HH", msg[:4])
    pos, labels = 12, []
    while pos < len(msg) and msg[pos]:
        n = msg[pos]
        labels.append(msg[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n
    end = pos + 5
    if end > len(msg):
        return None
    qtype = struct.unpack(">H", msg[pos + 1:pos + 3])[0]
    return qid, flags, msg[12:end], (labels[0].lower() if labels else ""), qtype


def a_record(addr, ttl):
    return (b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, ttl, 4) +
            socket.inet_aton(addr))


def response(qid, question, answers=(), rcode=0, tc=False, qr=True):
    flags = (0x8000 if qr else 0) | 0x0500 | rcode | (0x0200 if tc else 0)
    return (struct.pack(">HHHHHH", qid, flags, 1, len(answers), 0, 0) +
            question + b"".join(answers))


def answer_for(label, qid, question, qtype, tcp):
    """The one reply the query gets (None for none), after any forgeries."""
    if label == "silent":
        return None
    if label == "servfail":
        return response(qid, question, rcode=2)
    if label == "garbage":
        return (struct.pack(">HHHHHH", qid, 0x8180, 1, 3, 0, 0) + question +
                os.urandom(7) + socket.inet_aton(EVIL))
    if label == "truncated":
        return response(qid, question, [a_record(EVIL, 60)])[:-6]
    if label == "tcfail":
        return None if tcp else response(qid, question, tc=True)
    if label == "rotate":
        addr = "198.51.100.%d" % (100 + rotation[0] % 4)
        rotation[0] += 1
        return response(qid, question, [a_record(addr, 1)])
    if qtype != 1:
        return response(qid, question)
    return response(qid, question, [a_record(GOOD, 60)])


def forgeries(qid, question):
    """Replies a blind or on-path attacker would try, all naming EVIL."""
    evil = [a_record(EVIL, 3600)]
    other_q = bytearray(question)
    other_q[1] ^= 0x01  # one letter of the name changed
    return [
        (FORGE_ADDR, response(qid, question, evil)),  # wrong source
        (ADDR, response(qid ^ 0x5a5a, question, evil)),  # wrong id
        (ADDR, response(qid, bytes(other_q), evil)),  # wrong question
        (ADDR, response(qid, question, evil, qr=False)),  # not a response
    ]


forger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
forger.bind((FORGE_ADDR, 53))


def serve_udp(sock):
    msg, peer = sock.recvfrom(65535)
    q = parse_query(msg)
    if not q:
        return
    qid, _, question, label, qtype = q
    print("udp", label, qtype, flush=True)
    if label == "forge":
        for src, reply in forgeries(qid, question):
            (forger if src == FORGE_ADDR else sock).sendto(reply, peer)
        time.sleep(0.2)
    reply = answer_for(label, qid, question, qtype, False)
    if reply is None:
        return
    if label == "slow":
        threading.Timer(5, sock.sendto, (reply, peer)).start()
    elif label == "garbage":
        sock.sendto(os.urandom(40), peer)
        sock.sendto(reply, peer)
    else:
        sock.sendto(reply, peer)


def serve_tcp_conn(conn):
    conn.settimeout(5)
    try:
        data = b""
        while len(data) < 2 or len(data) < 2 + struct.unpack(">H", data[:2])[0]:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        q = parse_query(data[2:])
        if not q:
            return
        qid, _, question, label, qtype = q
        print("tcp", label, qtype, flush=True)
        reply = answer_for(label, qid, question, qtype, True)
        if reply is not None:
            conn.sendall(struct.pack(">H", len(reply)) + reply)
    except OSError:
        pass
    finally:
        conn.close()


udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind((ADDR, 53))
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind((ADDR, 53))
tcp.listen(64)
sel = selectors.DefaultSelector()
sel.register(udp, selectors.EVENT_READ, "udp")
sel.register(tcp, selectors.EVENT_READ, "tcp")
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        if key.data == "udp":
            serve_udp(udp)
        else:
            conn, _ = tcp.accept()
            threading.Thread(target=serve_tcp_conn, args=(conn,),
                             daemon=True).start()
