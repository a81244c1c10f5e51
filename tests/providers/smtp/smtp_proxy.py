# SPDX-License-Identifier: GPL-3.0-or-later
"""A relay between a test's client and the harness Postfix that stops at the right moment,
for the tests that kill the client around the server's acceptance or keep the server away
for a while."""
import re
import select
import socket
import threading


class SmtpProxy:
    """Relays one client at a time to Postfix's port without AUTH, watching the dialogue:
    mode "stall" stops reading the client's data after a while (the client then blocks
    before its final dot), mode "hold" relays everything but keeps the server's answer to
    the final dot from the client."""

    def __init__(self, harness, port=0):
        self.harness = harness
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
        self.listener.bind((harness.host, port))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.mode = "pass"
        self.stalled = threading.Event()
        self.held = threading.Event()
        self.stop = threading.Event()
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection((self.harness.host, self.harness.smtp_port))
            self.connections += [client, server]
            threading.Thread(target=self._relay, args=(client, server, self.mode),
                             daemon=True).start()

    def _relay(self, client, server, mode):
        in_data = False
        data_bytes = 0
        tail = b""
        dot_seen = False
        server_buffer = b""
        try:
            while not self.stop.is_set():
                readable = [server]
                if not (mode == "stall" and self.stalled.is_set()):
                    readable.append(client)
                ready, _, _ = select.select(readable, [], [], 0.2)
                if server in ready:
                    chunk = server.recv(65536)
                    if not chunk:
                        break
                    if dot_seen and mode == "hold":
                        self.held.set()          # the acceptance never reaches the client
                        continue
                    server_buffer += chunk
                    if re.search(rb"(^|\r\n)354[ -]", server_buffer):
                        in_data = True
                        server_buffer = b""
                    client.sendall(chunk)
                if client in ready:
                    chunk = client.recv(65536)
                    if not chunk:
                        break
                    if in_data:
                        data_bytes += len(chunk)
                        if (tail + chunk).find(b"\r\n.\r\n") >= 0:
                            dot_seen = True
                        tail = (tail + chunk)[-4:]
                    server.sendall(chunk)
                    if mode == "stall" and in_data and data_bytes > 200000:
                        self.stalled.set()
        except OSError:
            pass
        finally:
            # An end of data without its dot: Postfix drops the message.
            for s in (client, server):
                try:
                    s.close()
                except OSError:
                    pass

    def close(self):
        self.stop.set()
        self.listener.close()
        for s in self.connections:
            try:
                s.close()
            except OSError:
                pass


def free_port(harness):
    """A port nothing listens on (yet)."""
    with socket.socket() as s:
        s.bind((harness.host, 0))
        return s.getsockname()[1]
