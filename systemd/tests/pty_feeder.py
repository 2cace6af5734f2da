"""A receiver on a pty for systemd/tests/run.sh: opens a pty pair, gives the slave to USER (as udev
gives /dev/gps0's tty to dialout), links it at LINK, and writes an RMC and a ZDA sentence with the
current UTC time every second for SECONDS. Run as root.

usage: pty_feeder.py LINK USER SECONDS
"""

import os
import pwd
import sys
import time


def nmea(body: str) -> bytes:
    cs = 0
    for c in body.encode():
        cs ^= c
    return f"${body}*{cs:02X}\r\n".encode()


def main() -> None:
    link, user, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    master, slave = os.openpty()
    path = os.ttyname(slave)
    os.chown(path, pwd.getpwnam(user).pw_uid, -1)
    os.chmod(path, 0o600)
    os.symlink(path, link)
    end = time.time() + seconds
    while time.time() < end:
        t = time.gmtime()
        hms = time.strftime("%H%M%S.00", t)
        try:
            os.write(master, nmea(f"GPRMC,{hms},A,5230.000,N,01320.000,E,0.0,0.0,{time.strftime('%d%m%y', t)},,,A"))
            os.write(master, nmea(f"GPZDA,{hms},{time.strftime('%d,%m,%Y', t)},00,00"))
        except OSError:
            pass  # nobody reading yet, or the buffer is full: like a receiver, just go on
        time.sleep(1)


if __name__ == "__main__":
    main()
