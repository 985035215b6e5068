#!/usr/bin/env python3
"""HTTP clients (and one fake server) for the control API tests, written
with Python's own http.client, socket and ssl: a second real HTTP stack
next to curl and vncgatectl. Every mode is bounded in count and time and
prints one JSON object on stdout.

  keepalive TARGET --count N [--path P] [--user U:P]
      N requests, each on its own keep-alive connection that the client
      closes once the answer is read (what leaked with libsoup 3.2).
  reuse TARGET --count N
      N requests through one HTTPConnection (it reconnects when told to).
  odd TARGET --count N
      Connections that stop half way: no request, half a header, half a
      body, two pipelined requests, a request whose answer is never read.
  upload TARGET --mib M [--user U:P]
      A chunked POST of M MiB; stops when an answer arrives.
  serve --unix PATH --body-file F
      Answers every request with 200 and the file's bytes (for 60 s).

TARGET: --unix PATH, or --tcp HOST:PORT --cafile F (HTTPS).
"""
import argparse
import base64
import http.client
import json
import os
import select
import socket
import ssl
import sys
import time


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def target_args(p):
    p.add_argument("--unix")
    p.add_argument("--tcp")
    p.add_argument("--cafile")
    p.add_argument("--user")


def tls_context(a):
    ctx = ssl.create_default_context(cafile=a.cafile)
    return ctx


def connection(a):
    if a.unix:
        return UnixHTTPConnection(a.unix)
    host, port = a.tcp.rsplit(":", 1)
    return http.client.HTTPSConnection(host, int(port), context=tls_context(a), timeout=10)


def raw_socket(a):
    if a.unix:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(a.unix)
        return s
    host, port = a.tcp.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
    return tls_context(a).wrap_socket(s, server_hostname=host)


def headers(a):
    h = {}
    if a.user:
        h["Authorization"] = "Basic " + base64.b64encode(a.user.encode()).decode()
    return h


def count_status(statuses, status):
    statuses[str(status)] = statuses.get(str(status), 0) + 1


def keepalive(a):
    statuses = {}
    for _ in range(a.count):
        c = connection(a)
        c.request("GET", a.path, headers=headers(a))
        r = c.getresponse()
        r.read()
        count_status(statuses, r.status)
        c.close()
    return {"statuses": statuses}


def reuse(a):
    statuses = {}
    c = connection(a)
    for _ in range(a.count):
        c.request("GET", a.path, headers=headers(a))
        r = c.getresponse()
        r.read()
        count_status(statuses, r.status)
    c.close()
    return {"statuses": statuses}


def odd(a):
    done = 0
    request = b"GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n"
    for i in range(a.count):
        kind = i % 5
        try:
            s = raw_socket(a)
            if kind == 1:
                s.sendall(b"GET /v1/health HTTP/1.1\r\nHo")
            elif kind == 2:
                s.sendall(b"POST /v1/consoles/x/links HTTP/1.1\r\nHost: l\r\n"
                          b"Content-Length: 100\r\n\r\n{\"ttl\"")
            elif kind == 3:
                s.sendall(request + request)
                s.recv(65536)
            elif kind == 4:
                s.sendall(request)
            s.close()
            done += 1
        except OSError:
            pass
    return {"done": done}


def upload(a):
    s = raw_socket(a)
    head = "POST /v1/consoles/static1/links HTTP/1.1\r\nHost: localhost\r\n"
    for k, v in headers(a).items():
        head += "%s: %s\r\n" % (k, v)
    head += "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    s.sendall(head.encode())
    chunk = b"%x\r\n" % 65536 + b" " * 65536 + b"\r\n"
    limit = a.mib * 1024 * 1024
    sent = 0
    start = time.monotonic()
    answer = b""
    s.setblocking(False)
    pending = memoryview(chunk)
    while time.monotonic() - start < 60:
        want_write = sent < limit
        r, w, _ = select.select([s], [s] if want_write else [], [], 1.0)
        if r:
            try:
                data = s.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError):
                data = None
            except OSError:
                break
            if data == b"":
                break
            if data:
                answer += data
                if b"\r\n\r\n" in answer:
                    break
        if w and want_write:
            try:
                n = s.send(pending)
            except (ssl.SSLWantWriteError, BlockingIOError):
                continue
            except OSError:
                break
            sent += n
            pending = pending[n:]
            if not pending:
                pending = memoryview(chunk)
    seconds = time.monotonic() - start
    status = 0
    if answer.startswith(b"HTTP/1."):
        try:
            status = int(answer.split(b" ", 2)[1])
        except ValueError:
            pass
    s.close()
    return {"status": status, "sent": sent, "seconds": seconds,
            "answer": answer.decode("utf-8", "replace")[:400]}


def serve(a):
    body = open(a.body_file, "rb").read()
    if os.path.exists(a.unix):
        os.unlink(a.unix)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(a.unix)
    srv.listen(16)
    srv.settimeout(60)
    served = 0
    end = time.monotonic() + 60
    while time.monotonic() < end:
        try:
            c, _ = srv.accept()
        except socket.timeout:
            break
        c.settimeout(5)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                more = c.recv(65536)
                if not more:
                    break
                data += more
            # Read the body too: closing with it unread resets the connection.
            head, _, rest = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            while len(rest) < length:
                more = c.recv(65536)
                if not more:
                    break
                rest += more
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        except OSError:
            pass
        c.close()
        served += 1
    return {"served": served}


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    for name in ("keepalive", "reuse", "odd"):
        q = sub.add_parser(name)
        target_args(q)
        q.add_argument("--count", type=int, required=True)
        q.add_argument("--path", default="/v1/health")
    q = sub.add_parser("upload")
    target_args(q)
    q.add_argument("--mib", type=int, required=True)
    q = sub.add_parser("serve")
    q.add_argument("--unix", required=True)
    q.add_argument("--body-file", required=True)
    a = p.parse_args()
    result = globals()[a.mode](a)
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
