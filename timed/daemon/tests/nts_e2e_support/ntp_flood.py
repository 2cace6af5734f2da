"""A flooding NTP client for tests/nts_e2e.rs: sends RATE plain NTPv4 client requests a second
for SECONDS from one socket (one source address and port, as a misbehaving client), then listens
one more second, and prints one JSON line counting what came back:

  sent      requests sent
  replies   answers carrying one of our transmit timestamps as their origin
  served    of those, stratum 1 answers (time given)
  kod       of those, stratum 0 answers (Kiss-o'-Death), by code in kod_codes (e.g. "RATE")
  other     anything else received (a wrong size, an unknown origin, another stratum)

Each request's transmit timestamp is 8 random bytes, so every answer is matched to its request
(RFC 5905 section 8: the server copies it into the origin timestamp). The receive side is drained
between sends, so the socket buffer never overflows and an unanswered request is one the server
dropped. Usage: python3 ntp_flood.py HOST RATE SECONDS
"""
import json
import os
import socket
import sys
import time

host, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.connect((host, 123))
sock.setblocking(False)
counts = dict(sent=0, replies=0, served=0, kod=0, other=0)
kod_codes = {}
pending = set()


def drain():
    while True:
        try:
            packet = sock.recv(1024)
        except BlockingIOError:
            return
        except ConnectionRefusedError:
            counts["other"] += 1
            continue
        origin = packet[24:32]
        if len(packet) < 48 or origin not in pending:
            counts["other"] += 1
            continue
        pending.discard(origin)
        counts["replies"] += 1
        stratum = packet[1]
        if stratum == 0:
            counts["kod"] += 1
            code = packet[12:16].decode("ascii", "replace")
            kod_codes[code] = kod_codes.get(code, 0) + 1
        elif stratum == 1:
            counts["served"] += 1
        else:
            counts["other"] += 1


start = time.monotonic()
for i in range(int(rate * seconds)):
    due = start + i / rate
    while (now := time.monotonic()) < due:
        drain()
        time.sleep(min(due - now, 0.001))
    transmit = os.urandom(8)
    pending.add(transmit)
    # LI 0, version 4, mode 3 (client); every other field zero but the transmit timestamp.
    sock.send(b"\x23" + bytes(39) + transmit)
    counts["sent"] += 1
end = time.monotonic() + 1.0
while time.monotonic() < end:
    drain()
    time.sleep(0.01)
print(json.dumps(dict(counts, kod_codes=kod_codes, seconds=round(time.monotonic() - start, 3))))
