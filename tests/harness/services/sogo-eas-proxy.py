#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tiny reverse proxy in front of sogod, for clients that insist on the standard EAS URL
https://HOST/Microsoft-Server-ActiveSync (sogod itself only serves /SOGo/Microsoft-Server-ActiveSync).

  eas_proxy.py --upstream 127.0.0.1:21000 --http 127.0.0.1:21080 \
               --https 127.0.0.1:21443 --cert tls/cert.pem --key tls/key.pem --pidfile run/eas-proxy.pid

/Microsoft-Server-ActiveSync...  ->  /SOGo/Microsoft-Server-ActiveSync...
everything else (e.g. /SOGo/dav/...) is passed through unchanged. Long-polls (Ping/Sync) are fine:
one thread per connection, no upstream timeout below an hour.
"""
import argparse, http.client, os, ssl, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP = {'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailers',
       'transfer-encoding', 'upgrade', 'content-length', 'host'}


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    upstream = ('127.0.0.1', 21000)

    def _body(self):
        if self.headers.get('Transfer-Encoding', '').lower() == 'chunked':
            out = b''
            while True:
                n = int(self.rfile.readline().split(b';')[0], 16)
                if n == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(n)
                self.rfile.readline()
        n = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(n) if n else b''

    def _proxy(self):
        path = self.path
        if path.lower().startswith('/microsoft-server-activesync'):
            path = '/SOGo' + path
        body = self._body()
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        hdrs['Host'] = '%s:%d' % self.upstream
        if body or self.command in ('POST', 'PUT', 'PROPFIND', 'REPORT'):
            hdrs['Content-Length'] = str(len(body))
        c = http.client.HTTPConnection(*self.upstream, timeout=3600)
        try:
            c.request(self.command, path, body=body or None, headers=hdrs)
            r = c.getresponse()
            data = r.read()
        except Exception as e:  # upstream down
            self.send_error(502, str(e))
            return
        finally:
            c.close()
        self.log_request(r.status, len(data))
        self.send_response_only(r.status, r.reason)
        for k, v in r.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)

    do_GET = do_POST = do_OPTIONS = do_PUT = do_DELETE = do_HEAD = _proxy
    do_PROPFIND = do_REPORT = do_MKCOL = do_MOVE = do_COPY = _proxy

    def log_message(self, fmt, *args):
        sys.stderr.write('%s %s\n' % (self.log_date_time_string(), fmt % args))


def hostport(s):
    h, p = s.rsplit(':', 1)
    return h, int(p)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--upstream', default='127.0.0.1:21000')
    ap.add_argument('--http', help='listen address for plain HTTP, e.g. 127.0.0.1:21080')
    ap.add_argument('--https', help='listen address for HTTPS, e.g. 127.0.0.1:21443')
    ap.add_argument('--cert')
    ap.add_argument('--key')
    ap.add_argument('--pidfile')
    a = ap.parse_args()
    Handler.upstream = hostport(a.upstream)
    servers = []
    if a.http:
        servers.append(ThreadingHTTPServer(hostport(a.http), Handler))
    if a.https:
        s = ThreadingHTTPServer(hostport(a.https), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        s.socket = ctx.wrap_socket(s.socket, server_side=True)
        servers.append(s)
    if not servers:
        ap.error('nothing to listen on')
    for s in servers:
        s.daemon_threads = True
    if a.pidfile:
        with open(a.pidfile, 'w') as f:
            f.write('%d\n' % os.getpid())
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == '__main__':
    main()
