#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the ActiveSync integration tests need from the SOGo stack besides ActiveSync itself:
the truth over IMAP, mail in over SMTP, contacts and events over DAV, and a proxy that cuts
a connection in the middle of a reply.  Every user's password is "secret-USER".

  sogo_helper.py imap USER FOLDER            one line per message, tab-separated: uid, seen,
                                             flagged, answered, deleted (0/1), message id,
                                             in-reply-to, subject
  sogo_helper.py header USER FOLDER SUBJECT FIELD
                                             the FIELD of the message with SUBJECT (each
                                             occurrence on a line; nothing when absent)
  sogo_helper.py deliver FROM TO SUBJECT [MESSAGE-ID [IN-REPLY-TO]]
  sogo_helper.py send-file FROM TO FILE      the RFC 5322 message in FILE, as it is, over SMTP
  sogo_helper.py dav-put URL USER FILE       PUT a vCard or iCalendar file
  sogo_helper.py cut-proxy UPSTREAM_PORT PORT_FILE ARM_FILE
      forwards to sogod; while ARM_FILE exists, the next reply to the command it names
      (Sync when it is empty) is cut after half of its body (and ARM_FILE is removed)
"""
import base64, email, email.header, email.utils, http.client, imaplib, os, re, smtplib, socket, sys
import threading
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def env(name):
    return os.environ[name]


def decode(value):
    if value is None:
        return None
    return str(email.header.make_header(email.header.decode_header(value)))


def imap_summary(user, folder):
    m = imaplib.IMAP4('127.0.0.1', int(env('PIGEON_TEST_SOGO_IMAP_PORT')))
    m.login(user, 'secret-' + user)
    typ, _ = m.select('"%s"' % folder, readonly=True)
    if typ == 'OK':
        typ, data = m.uid('FETCH', '1:*', '(FLAGS BODY.PEEK[HEADER.FIELDS '
                          '(SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES)])')
        for item in data:
            if not isinstance(item, tuple):
                continue
            meta = item[0].decode()
            flags = meta[meta.index('FLAGS (') + 7:].split(')')[0].split()
            headers = email.message_from_bytes(item[1])
            fields = [meta.split('UID ')[1].split()[0].rstrip(')')]
            fields += ['1' if f in flags else '0'
                       for f in ('\\Seen', '\\Flagged', '\\Answered', '\\Deleted')]
            fields += [(headers.get('Message-ID') or '').strip(' <>'),
                       (headers.get('In-Reply-To') or '').strip(' <>'),
                       decode(headers.get('Subject')) or '']
            print('\t'.join(' '.join(f.split()) for f in fields))
    m.logout()


def header_field(user, folder, subject, field):
    m = imaplib.IMAP4('127.0.0.1', int(env('PIGEON_TEST_SOGO_IMAP_PORT')))
    m.login(user, 'secret-' + user)
    typ, _ = m.select('"%s"' % folder, readonly=True)
    if typ == 'OK':
        typ, data = m.uid('FETCH', '1:*', '(BODY.PEEK[HEADER])')
        for item in data:
            if not isinstance(item, tuple):
                continue
            headers = email.message_from_bytes(item[1])
            if decode(headers.get('Subject')) == subject:
                for value in headers.get_all(field) or []:
                    print(' '.join(value.split()))
    m.logout()


def deliver(sender, to, subject, message_id=None, in_reply_to=None):
    msg = EmailMessage()
    msg['From'] = sender
    msg['To'] = to
    msg['Subject'] = subject
    msg['Message-ID'] = message_id or email.utils.make_msgid(domain='example.test')
    msg['Date'] = email.utils.formatdate()
    if in_reply_to:
        msg['In-Reply-To'] = in_reply_to
        msg['References'] = in_reply_to
    msg.set_content('Body of %s\n' % subject)
    with smtplib.SMTP('127.0.0.1', int(env('PIGEON_TEST_SOGO_SMTP_PORT'))) as s:
        s.send_message(msg)


def send_file(sender, to, path):
    with open(path, 'rb') as f:
        data = f.read()
    with smtplib.SMTP('127.0.0.1', int(env('PIGEON_TEST_SOGO_SMTP_PORT'))) as s:
        s.sendmail(sender, [to], data)


def dav_put(url, user, path):
    data = open(path, 'rb').read()
    kind = 'text/vcard' if data.startswith(b'BEGIN:VCARD') else 'text/calendar'
    u = url.split('/', 3)
    c = http.client.HTTPConnection(u[2], timeout=30)
    auth = base64.b64encode(('%s:secret-%s' % (user, user)).encode()).decode()
    c.request('PUT', '/' + u[3], body=data,
              headers={'Content-Type': kind + '; charset=utf-8', 'Authorization': 'Basic ' + auth})
    r = c.getresponse()
    r.read()
    if r.status not in (200, 201, 204):
        sys.exit('PUT %s: HTTP %d' % (url, r.status))


class CutHandler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    upstream = 0
    arm_file = ''

    def do_any(self):
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ('host', 'connection', 'content-length')}
        headers['Content-Length'] = str(len(body))
        c = http.client.HTTPConnection('127.0.0.1', self.upstream, timeout=600)
        c.request(self.command, self.path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        cut = False
        if len(data) > 1 and os.path.exists(self.arm_file):
            with open(self.arm_file) as f:
                armed = f.read().strip() or 'Sync'
            command = re.search(r'[?&]Cmd=(\w+)', self.path)
            cut = command is not None and command.group(1) == armed
        if cut:
            os.unlink(self.arm_file)
        self.send_response_only(r.status, r.reason)
        for k, v in r.getheaders():
            if k.lower() not in ('content-length', 'connection', 'transfer-encoding'):
                self.send_header(k, v)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if cut:
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(data)

    do_POST = do_OPTIONS = do_GET = do_any

    def log_message(self, fmt, *args):
        pass


def cut_proxy(upstream, port_file, arm_file):
    CutHandler.upstream = int(upstream)
    CutHandler.arm_file = arm_file
    server = ThreadingHTTPServer(('127.0.0.1', 0), CutHandler)
    with open(port_file + '.tmp', 'w') as f:
        f.write('%d\n' % server.server_address[1])
    os.rename(port_file + '.tmp', port_file)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()    # runs until the test closes our stdin (or is gone)


if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    {'imap': imap_summary, 'header': header_field, 'deliver': deliver, 'send-file': send_file,
     'dav-put': dav_put,
     'cut-proxy': cut_proxy}[cmd](*args)
