/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The POP3 response parser (RFC 1939, RFC 2449 CAPA and RESP-CODES, RFC 5034 SASL).
 *
 * A POP3 reply is a status line (+OK or -ERR, maybe with a [RESP-CODE]), and after +OK to
 * some commands (CAPA, LIST, UIDL, RETR, TOP) data lines with a leading dot doubled, ended
 * by a line holding one dot.  During AUTH the server may also send "+ BASE64" challenges.
 * Which form a reply takes depends on the command, so the caller announces every command
 * it sends with pigeon_pop3_parser_expect(), in order (pipelining sends many at once).
 *
 * The parser is fed lines without their CR LF (what PigeonConnection reads), or raw bytes
 * through pigeon_pop3_parser_feed(), which does the line framing itself (fuzzing, tests).
 * Everything a hostile server controls is bounded (PigeonPop3Limits): a violation is a
 * PIGEON_ERROR_PROTOCOL error, after which the connection must be closed and the parser
 * reset.
 */

typedef struct
{
  gsize max_status_line;  /* a status or challenge line (RFC 2449 says 512; be lenient) */
  gsize max_data_line;    /* one line of a multi-line reply */
  gsize max_multiline;    /* all data lines of one reply (a message), in bytes */
  guint max_lines;        /* data lines of one reply (a UIDL listing) */
  guint max_expected;     /* replies announced and not yet read (pipelining depth) */
} PigeonPop3Limits;

/* 4 KiB status lines, 1 MiB data lines, 256 MiB messages, 4 million lines, 100,000 replies
 * in flight. */
void pigeon_pop3_limits_init_default (PigeonPop3Limits *limits);

typedef enum
{
  PIGEON_POP3_REPLY_SINGLE,  /* one status line */
  PIGEON_POP3_REPLY_MULTI,   /* +OK with data lines and the final dot; -ERR alone */
  PIGEON_POP3_REPLY_SASL,    /* "+ challenge" lines, then +OK or -ERR */
} PigeonPop3ReplyKind;

typedef enum
{
  PIGEON_POP3_EVENT_NONE,      /* nothing to report (pigeon_pop3_parser_feed never says so) */
  PIGEON_POP3_EVENT_OK,        /* +OK; with REPLY_MULTI, data lines follow */
  PIGEON_POP3_EVENT_ERR,       /* -ERR: the reply is complete */
  PIGEON_POP3_EVENT_CHALLENGE, /* a SASL challenge: text is the base64 (maybe empty) */
  PIGEON_POP3_EVENT_DATA,      /* one data line, the stuffed dot removed */
  PIGEON_POP3_EVENT_END,       /* the final dot of a multi-line reply */
} PigeonPop3EventKind;

/* What one line meant.  The strings belong to the parser (code) or to the line fed (text)
 * and are valid until the next feed. */
typedef struct
{
  PigeonPop3EventKind kind;
  PigeonPop3ReplyKind reply;   /* the kind of reply this event belongs to */
  const char         *code;    /* OK/ERR: the response code, upper case ("IN-USE",
                                * "SYS/TEMP"), or NULL */
  const char         *text;    /* OK/ERR: the text after the code; DATA: the line;
                                * CHALLENGE: the base64 */
  gsize               length;  /* bytes of text (a data line may hold NULs) */
} PigeonPop3Event;

typedef struct _PigeonPop3Parser PigeonPop3Parser;

PigeonPop3Parser *pigeon_pop3_parser_new           (const PigeonPop3Limits *limits);
void              pigeon_pop3_parser_free          (PigeonPop3Parser       *self);
/* Forgets expected replies and partial input (for a new connection). */
void              pigeon_pop3_parser_reset         (PigeonPop3Parser       *self);

/* Announces the reply to one more command sent.  FALSE (and PIGEON_ERROR_PROTOCOL) when
 * more than max_expected are outstanding: the caller must read before sending more. */
gboolean          pigeon_pop3_parser_expect        (PigeonPop3Parser       *self,
                                                    PigeonPop3ReplyKind     kind,
                                                    GError                **error);
/* Replies announced and not complete yet, including the one being read. */
guint             pigeon_pop3_parser_get_expected  (PigeonPop3Parser       *self);
/* Whether the parser is inside the data lines of a multi-line reply. */
gboolean          pigeon_pop3_parser_in_data       (PigeonPop3Parser       *self);

/* Interprets one line (without CR LF).  An unexpected or malformed line, or one over the
 * limits, is PIGEON_ERROR_PROTOCOL. */
gboolean          pigeon_pop3_parser_feed_line     (PigeonPop3Parser       *self,
                                                    const char             *line,
                                                    gsize                   length,
                                                    PigeonPop3Event        *event,
                                                    GError                **error);

typedef void (*PigeonPop3EventFunc) (const PigeonPop3Event *event,
                                     gpointer               user_data);
/* Splits DATA (any chunk of the byte stream) into lines, CR LF or a bare LF, and reports
 * each line's event.  Partial lines are kept for the next call. */
gboolean          pigeon_pop3_parser_feed          (PigeonPop3Parser       *self,
                                                    const guint8           *data,
                                                    gsize                   length,
                                                    PigeonPop3EventFunc     func,
                                                    gpointer                user_data,
                                                    GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonPop3Parser, pigeon_pop3_parser_free)

/* ------------------------------------------------------------------ reply contents */

/* "N OCTETS" as in a STAT reply or a LIST line (more text after them is allowed). */
gboolean          pigeon_pop3_parse_listing        (const char             *text,
                                                    guint                  *number,
                                                    guint64                *octets);
/* "N UIDL" as in a UIDL line: the unique id is 1 to 70 characters 0x21 to 0x7E. */
gboolean          pigeon_pop3_parse_uidl           (const char             *text,
                                                    guint                  *number,
                                                    char                  **uidl);
/* The APOP timestamp "<…@…>" of a greeting, with its brackets; NULL when there is none. */
char             *pigeon_pop3_parse_apop_timestamp (const char             *greeting);

typedef enum /*< flags >*/
{
  PIGEON_POP3_CAPA_NONE        = 0,
  PIGEON_POP3_CAPA_TOP         = 1 << 0,
  PIGEON_POP3_CAPA_USER        = 1 << 1,
  PIGEON_POP3_CAPA_UIDL        = 1 << 2,
  PIGEON_POP3_CAPA_PIPELINING  = 1 << 3,
  PIGEON_POP3_CAPA_RESP_CODES  = 1 << 4,
  PIGEON_POP3_CAPA_AUTH_RESP_CODE = 1 << 5,
  PIGEON_POP3_CAPA_STLS        = 1 << 6,
  PIGEON_POP3_CAPA_SASL        = 1 << 7,
  PIGEON_POP3_CAPA_LOGIN_DELAY = 1 << 8,
  PIGEON_POP3_CAPA_EXPIRE      = 1 << 9,
} PigeonPop3CapaFlags;

/* What CAPA said (RFC 2449). */
typedef struct
{
  PigeonPop3CapaFlags flags;
  GPtrArray          *sasl;           /* mechanisms, upper case; never NULL */
  guint               login_delay;    /* seconds between logins, 0 when none */
  gint                expire_days;    /* -1 NEVER or unknown, else days mail is kept */
  char               *implementation;
} PigeonPop3Capabilities;

PigeonPop3Capabilities *pigeon_pop3_capabilities_new   (void);
void                    pigeon_pop3_capabilities_free  (PigeonPop3Capabilities *caps);
/* Adds what one line of a CAPA reply says; unknown capabilities are ignored. */
void                    pigeon_pop3_capabilities_add_line (PigeonPop3Capabilities *caps,
                                                           const char             *line);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonPop3Capabilities, pigeon_pop3_capabilities_free)

G_END_DECLS
