/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pigeon-account.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_CONNECTION (pigeon_connection_get_type ())
G_DECLARE_FINAL_TYPE (PigeonConnection, pigeon_connection, PIGEON, CONNECTION, GObject)

/*
 * A client connection for line-based protocols (IMAP, POP3, SMTP): TCP with a connect
 * timeout, implicit TLS or a STARTTLS upgrade, certificate checks with the user's pinned
 * exception, bounded line and literal reads, buffered writes, optional DEFLATE
 * compression, and a protocol trace behind G_MESSAGES_DEBUG=pigeon-trace that never shows
 * what was marked secret.
 *
 * Blocking: use it from a worker thread.  Every call takes a GCancellable; a read that
 * waits longer than the timeout fails with PIGEON_ERROR_TIMEOUT.  Errors are PIGEON_ERROR:
 * CONNECT (unreachable, refused, DNS), CERTIFICATE (with the certificate's details and its
 * SHA-256 fingerprint in the message), CONNECTION_LOST, TIMEOUT, PROTOCOL (a line over the
 * limit, a literal over the limit).
 */
PigeonConnection *pigeon_connection_new            (const char     *host,
                                                    guint16         port,
                                                    PigeonSecurity  security,
                                                    const char     *pinned_fingerprint,
                                                    const char     *trace_name);

/* Seconds to wait for connect and for each read (default 30; 0 waits forever, for IDLE
 * use pigeon_connection_set_read_timeout around the wait). */
void              pigeon_connection_set_timeout       (PigeonConnection *self,
                                                       guint             seconds);
void              pigeon_connection_set_read_timeout  (PigeonConnection *self,
                                                       guint             seconds);
/* Longest line accepted by read_line (default 1 MiB). */
void              pigeon_connection_set_max_line      (PigeonConnection *self,
                                                       gsize             max_line);
/* Largest COUNT accepted by read_bytes (default 512 MiB): a server that announces more
 * gets PIGEON_ERROR_PROTOCOL instead of an allocation that size. */
void              pigeon_connection_set_max_bytes     (PigeonConnection *self,
                                                       gsize             max_bytes);

/* TCP connect, plus the TLS handshake for PIGEON_SECURITY_TLS. */
gboolean          pigeon_connection_connect           (PigeonConnection *self,
                                                       GCancellable     *cancellable,
                                                       GError          **error);
/* The TLS handshake after the protocol's STARTTLS/STLS was accepted. */
gboolean          pigeon_connection_start_tls         (PigeonConnection *self,
                                                       GCancellable     *cancellable,
                                                       GError          **error);
gboolean          pigeon_connection_is_encrypted      (PigeonConnection *self);
gboolean          pigeon_connection_is_connected      (PigeonConnection *self);
const char       *pigeon_connection_get_host          (PigeonConnection *self);
/* This end's IP address as text ("192.0.2.7", "2001:db8::7"), NULL when not connected
 * (SMTP's EHLO names the client by it). */
char             *pigeon_connection_dup_local_address (PigeonConnection *self);
/* The server's certificate (after a handshake, even a refused one) and its SHA-256 of the
 * DER bytes as colon-separated upper-case hex. */
GTlsCertificate  *pigeon_connection_get_peer_certificate (PigeonConnection *self);
char             *pigeon_connection_dup_peer_fingerprint (PigeonConnection *self);

/* One line without its CR LF (a bare LF is accepted too), NUL-terminated; LENGTH gets the
 * byte count (the line may contain NULs).  A line longer than the limit is
 * PIGEON_ERROR_PROTOCOL; end of stream is PIGEON_ERROR_CONNECTION_LOST. */
char             *pigeon_connection_read_line         (PigeonConnection *self,
                                                       gsize            *length,
                                                       GCancellable     *cancellable,
                                                       GError          **error);
/* Exactly COUNT bytes (an IMAP literal, a message body). */
GBytes           *pigeon_connection_read_bytes        (PigeonConnection *self,
                                                       gsize             count,
                                                       GCancellable     *cancellable,
                                                       GError          **error);
/* Whether unread bytes are already buffered (pipelined replies). */
gboolean          pigeon_connection_has_buffered_input (PigeonConnection *self);

/* Buffered until flush (pipelining). */
gboolean          pigeon_connection_write             (PigeonConnection *self,
                                                       const void       *data,
                                                       gsize             length,
                                                       GCancellable     *cancellable,
                                                       GError          **error);
gboolean          pigeon_connection_write_line        (PigeonConnection *self,
                                                       const char       *line,
                                                       GCancellable     *cancellable,
                                                       GError          **error);  /* adds CR LF */
/* Like write_line, but the trace shows PREFIX followed by "<redacted>" (AUTH, PASS,
 * LOGIN). */
gboolean          pigeon_connection_write_secret_line (PigeonConnection *self,
                                                       const char       *line,
                                                       const char       *trace_prefix,
                                                       GCancellable     *cancellable,
                                                       GError          **error);
gboolean          pigeon_connection_flush             (PigeonConnection *self,
                                                       GCancellable     *cancellable,
                                                       GError          **error);

/* Wrap both directions in raw DEFLATE (IMAP COMPRESS=DEFLATE, RFC 4978), from the next
 * byte on. */
gboolean          pigeon_connection_start_compression (PigeonConnection *self,
                                                       GError          **error);

/* Closes the socket; pending and later calls fail with CONNECTION_LOST.  Thread-safe: may
 * be called from another thread to interrupt a blocking read. */
void              pigeon_connection_close             (PigeonConnection *self);

G_END_DECLS
