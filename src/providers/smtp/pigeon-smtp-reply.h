/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * SMTP replies (RFC 5321 4.2): one or more lines "NNN-text" ending with "NNN text", every
 * line with the same code.  The parser takes one line at a time (without CR LF) and keeps
 * within bounds: a line longer than PIGEON_SMTP_MAX_LINE, more than PIGEON_SMTP_MAX_LINES
 * lines or PIGEON_SMTP_MAX_REPLY bytes in one reply, a code that is not three digits from
 * 200 to 599 or that changes within a reply is PIGEON_ERROR_PROTOCOL.  After an error the
 * stream is out of step: close the connection (pigeon_smtp_reply_parser_reset starts a
 * fresh one).
 */

#define PIGEON_SMTP_MAX_LINE  4096
#define PIGEON_SMTP_MAX_LINES 256
#define PIGEON_SMTP_MAX_REPLY (64 * 1024)

typedef struct
{
  guint      code;       /* 250 */
  char      *enhanced;   /* RFC 3463 status of the first line ("5.1.1"), or NULL */
  GPtrArray *lines;      /* the text of each line after "NNN-" / "NNN ", as sent */
} PigeonSmtpReply;

void             pigeon_smtp_reply_free          (PigeonSmtpReply *reply);
/* The reply as one line for a person: "550 5.1.1 <bob@example.org>: no such user", with
 * control characters and invalid UTF-8 replaced and at most ~300 characters. */
char            *pigeon_smtp_reply_dup_text      (const PigeonSmtpReply *reply);
gboolean         pigeon_smtp_reply_is_positive   (const PigeonSmtpReply *reply);  /* 2xx, 3xx */
gboolean         pigeon_smtp_reply_is_transient  (const PigeonSmtpReply *reply);  /* 4xx */

typedef struct _PigeonSmtpReplyParser PigeonSmtpReplyParser;

PigeonSmtpReplyParser *pigeon_smtp_reply_parser_new   (void);
void                   pigeon_smtp_reply_parser_free  (PigeonSmtpReplyParser *self);
void                   pigeon_smtp_reply_parser_reset (PigeonSmtpReplyParser *self);
/* Feeds one line of LENGTH bytes (it may hold NULs).  Returns TRUE and sets *REPLY when
 * the line ended a reply; TRUE with *REPLY NULL when more lines must follow; FALSE with
 * PIGEON_ERROR_PROTOCOL for a malformed line (HOST names the server in the message). */
gboolean               pigeon_smtp_reply_parser_feed  (PigeonSmtpReplyParser *self,
                                                       const char            *line,
                                                       gsize                  length,
                                                       const char            *host,
                                                       PigeonSmtpReply      **reply,
                                                       GError               **error);

/* What a server announced in its EHLO reply. */
typedef enum
{
  PIGEON_SMTP_EXT_NONE                = 0,
  PIGEON_SMTP_EXT_STARTTLS            = 1 << 0,
  PIGEON_SMTP_EXT_PIPELINING          = 1 << 1,
  PIGEON_SMTP_EXT_SIZE                = 1 << 2,
  PIGEON_SMTP_EXT_8BITMIME            = 1 << 3,
  PIGEON_SMTP_EXT_SMTPUTF8            = 1 << 4,
  PIGEON_SMTP_EXT_AUTH                = 1 << 5,
  PIGEON_SMTP_EXT_ENHANCEDSTATUSCODES = 1 << 6,
} PigeonSmtpExtensions;

typedef struct
{
  PigeonSmtpExtensions extensions;
  guint64              max_size;   /* SIZE's argument; 0 when unlimited or not announced */
  GStrv                auth;       /* mechanisms, upper-case; never NULL */
} PigeonSmtpCaps;

/* Reads the extension lines of an EHLO reply (every line but the first).  Unknown
 * keywords are ignored; a malformed SIZE argument counts as no limit. */
PigeonSmtpCaps  *pigeon_smtp_caps_parse          (const PigeonSmtpReply *ehlo);
void             pigeon_smtp_caps_free           (PigeonSmtpCaps        *caps);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonSmtpReply, pigeon_smtp_reply_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonSmtpReplyParser, pigeon_smtp_reply_parser_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonSmtpCaps, pigeon_smtp_caps_free)

G_END_DECLS
