#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The server's limit for the IMAP benchmark: one UID FETCH 1:* BODY.PEEK[] over TLS, every
byte read and thrown away (literals skipped by their announced size, nothing kept).

    raw_fetch.py HOST PORT CA_FILE USER PASSWORD [FOLDER]
"""
import re
import socket
import ssl
import sys

LITERAL = re.compile(rb"\{(\d+)\}\r\n$")


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buffer = bytearray()
        self.total = 0

    def fill(self):
        chunk = self.sock.recv(1 << 18)
        if not chunk:
            raise SystemExit("raw_fetch: the server closed the connection")
        self.total += len(chunk)
        self.buffer += chunk

    def line(self):
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                line = bytes(self.buffer[:end + 1])
                del self.buffer[:end + 1]
                return line
            self.fill()

    def skip(self, count):
        while len(self.buffer) < count:
            count -= len(self.buffer)
            self.buffer.clear()
            self.fill()
        del self.buffer[:count]


def command(reader, sock, tag, text):
    sock.sendall(b"%s %s\r\n" % (tag, text))
    messages = 0
    while True:
        line = reader.line()
        while True:
            literal = LITERAL.search(line)
            if not literal:
                break
            reader.skip(int(literal.group(1)))
            messages += 1
            line = reader.line()
        if line.startswith(tag + b" "):
            if not line.startswith(tag + b" OK"):
                raise SystemExit("raw_fetch: %r" % line)
            return messages


def main():
    host, port, ca_file, user, password = sys.argv[1:6]
    folder = sys.argv[6] if len(sys.argv) > 6 else "INBOX"
    context = ssl.create_default_context(cafile=ca_file)
    context.check_hostname = False
    sock = context.wrap_socket(socket.create_connection((host, int(port))))
    reader = Reader(sock)
    reader.line()  # greeting
    command(reader, sock, b"a1", b'LOGIN "%s" "%s"' % (user.encode(), password.encode()))
    command(reader, sock, b"a2", b'EXAMINE "%s"' % folder.encode())
    messages = command(reader, sock, b"a3", b"UID FETCH 1:* BODY.PEEK[]")
    command(reader, sock, b"a4", b"LOGOUT")
    print("%d messages, %d bytes" % (messages, reader.total), file=sys.stderr)


if __name__ == "__main__":
    main()
