#!/usr/bin/env python3
"""A stand-in for systemd's notification socket, for the sd_notify tests.

    notifylisten.py SOCKET OUTPUT

Binds a Unix datagram socket at SOCKET (a path, or "@name" for an abstract name), then appends
every datagram it receives to OUTPUT as one line, its KEY=VALUE fields joined by " | ", and
flushes at once. It runs until it is killed. It prints "listening" on stdout once bound.
"""
import socket
import sys


def main():
    name, output = sys.argv[1], sys.argv[2]
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind("\0" + name[1:] if name.startswith("@") else name)
    print("listening", flush=True)
    with open(output, "a", encoding="utf-8") as out:
        while True:
            data = listener.recv(65536)
            text = data.decode("utf-8", "replace")
            out.write(" | ".join(text.split("\n")) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
