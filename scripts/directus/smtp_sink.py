#!/usr/bin/env python3
"""Minimal SMTP sink for tests (Python standard library only).

usage: smtp_sink.py HOST PORT MAIL_DIR

Accepts every message and writes it to MAIL_DIR as <unix-time>-<seq>.eml (written to a
.tmp file first, then renamed, so readers never see a partial message). Two headers are
prepended: X-Sink-From and X-Sink-To with the SMTP envelope. No AUTH, no TLS: it is meant
to listen on 127.0.0.1 only. Stops cleanly on SIGTERM / SIGINT.
"""
import os
import signal
import socketserver
import sys
import threading
import time

HOST, PORT, OUT = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(OUT, exist_ok=True)
_lock = threading.Lock()
_count = 0


def _next_path():
    global _count
    with _lock:
        _count += 1
        return os.path.join(OUT, "%d-%06d.eml" % (time.time(), _count))


class Handler(socketserver.StreamRequestHandler):
    def say(self, line):
        self.wfile.write((line + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        self.say("220 sink ESMTP")
        sender, rcpts = "", []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            cmd = line[:4].upper()
            if cmd == "EHLO":
                self.wfile.write(b"250-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n")
                self.wfile.flush()
            elif cmd == "HELO":
                self.say("250 sink")
            elif cmd == "MAIL":  # MAIL FROM:<a@b>
                sender, rcpts = line[10:].strip(), []
                self.say("250 OK")
            elif cmd == "RCPT":  # RCPT TO:<a@b>
                rcpts.append(line[8:].strip())
                self.say("250 OK")
            elif cmd == "DATA":
                self.say("354 go ahead")
                body = []
                while True:
                    data = self.rfile.readline()
                    if not data or data in (b".\r\n", b".\n"):
                        break
                    body.append(data[1:] if data.startswith(b"..") else data)  # dot-unstuffing
                path = _next_path()
                with open(path + ".tmp", "wb") as f:
                    f.write(("X-Sink-From: %s\r\nX-Sink-To: %s\r\n" % (sender, ",".join(rcpts))).encode())
                    f.write(b"".join(body))
                os.rename(path + ".tmp", path)
                self.say("250 OK queued")
            elif cmd in ("RSET", "NOOP"):
                self.say("250 OK")
            elif cmd == "QUIT":
                self.say("221 bye")
                return
            else:
                self.say("502 not implemented")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    server = Server((HOST, PORT), Handler)

    def stop(_signum, _frame):
        # shutdown() blocks until serve_forever() returns, so run it off the main thread
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("smtp sink on %s:%d -> %s" % (HOST, PORT, OUT), flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
