/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The IMAP response parser.  Servers send lines, and a line may end in a literal
 * announcement ({N} or ~{N} for literal8) followed by exactly N raw bytes, after which the
 * same response continues on the next line.  The parser is fed at that granularity (a line
 * without its CR LF, or the bytes of a literal) and keeps only the open-list stack between
 * feeds, so a connection can hand over a message body read straight from the socket
 * without copying it.  pigeon_imap_parser_feed_bytes() does the line and literal framing
 * itself for callers that have a raw byte stream (fuzzing, tests).
 *
 * Everything a hostile server controls is bounded (see PigeonImapLimits): a violation is a
 * PIGEON_ERROR_PROTOCOL error after which the parser must be reset and the connection
 * closed.
 */

typedef enum
{
  PIGEON_IMAP_VALUE_ATOM,    /* includes numbers, flags (\Seen) and BODY[...]<n> items */
  PIGEON_IMAP_VALUE_STRING,  /* quoted string or literal */
  PIGEON_IMAP_VALUE_NIL,
  PIGEON_IMAP_VALUE_LIST,
} PigeonImapValueType;

typedef struct _PigeonImapValue PigeonImapValue;

typedef enum
{
  PIGEON_IMAP_RESPONSE_UNTAGGED,      /* "* ..." */
  PIGEON_IMAP_RESPONSE_TAGGED,        /* "A1 OK ..." */
  PIGEON_IMAP_RESPONSE_CONTINUATION,  /* "+ ..." */
} PigeonImapResponseKind;

typedef enum
{
  PIGEON_IMAP_STATUS_NONE,   /* a data response (FETCH, LIST, EXISTS, ...) */
  PIGEON_IMAP_STATUS_OK,
  PIGEON_IMAP_STATUS_NO,
  PIGEON_IMAP_STATUS_BAD,
  PIGEON_IMAP_STATUS_BYE,
  PIGEON_IMAP_STATUS_PREAUTH,
} PigeonImapStatus;

typedef struct
{
  PigeonImapResponseKind kind;
  char             *tag;         /* tagged responses */
  PigeonImapStatus  status;      /* OK/NO/BAD/BYE/PREAUTH, tagged or untagged */
  char             *name;        /* upper case: "OK", "FETCH", "EXISTS", "CAPABILITY", ... */
  gboolean          has_number;  /* "* 12 EXISTS": number = 12 */
  guint32           number;
  char             *code;        /* response code, upper case ("UIDVALIDITY"), or NULL */
  char             *code_text;   /* the code's arguments as sent ("" when none) */
  PigeonImapValue  *code_args;   /* the same, parsed (a LIST); NULL when not parseable */
  char             *text;        /* human-readable text of status and continuation responses */
  PigeonImapValue  *args;        /* data responses: a LIST of what follows the name */
} PigeonImapResponse;

typedef struct
{
  gsize max_line;       /* bytes in one line, without CR LF */
  gsize max_literal;    /* bytes in one literal */
  gsize max_response;   /* bytes of lines and literals in one response */
  guint max_depth;      /* nesting of parenthesised lists */
  guint max_values;     /* values in one response */
} PigeonImapLimits;

typedef enum
{
  PIGEON_IMAP_PARSE_ERROR,
  PIGEON_IMAP_PARSE_NEED_LINE,     /* the response continues on the next line */
  PIGEON_IMAP_PARSE_NEED_LITERAL,  /* feed pigeon_imap_parser_get_literal_size() bytes */
  PIGEON_IMAP_PARSE_COMPLETE,      /* take it with pigeon_imap_parser_steal_response() */
} PigeonImapParseResult;

typedef struct _PigeonImapParser PigeonImapParser;

/* Values */
PigeonImapValueType pigeon_imap_value_get_value_type (const PigeonImapValue *value);
gboolean        pigeon_imap_value_is_nil     (const PigeonImapValue *value);
gboolean        pigeon_imap_value_is_list    (const PigeonImapValue *value);
/* The atom's text, or NULL for other types. */
const char     *pigeon_imap_value_get_atom   (const PigeonImapValue *value);
/* Whether VALUE is an atom equal to WORD, ignoring ASCII case. */
gboolean        pigeon_imap_value_is_atom    (const PigeonImapValue *value,
                                              const char            *word);
/* A string's or atom's bytes (atoms and quoted strings are NUL-terminated; literals may
 * contain NULs: use LENGTH).  NULL for NIL and lists. */
const char     *pigeon_imap_value_get_string (const PigeonImapValue *value,
                                              gsize                 *length);
/* A string's or atom's text as a new NUL-terminated string; NULL for NIL, lists, or text
 * containing NUL bytes. */
char           *pigeon_imap_value_dup_string (const PigeonImapValue *value);
/* A string's bytes without copying a literal; NULL for NIL and lists. */
GBytes         *pigeon_imap_value_dup_bytes  (const PigeonImapValue *value);
/* Numbers: an atom of digits that fits. */
gboolean        pigeon_imap_value_get_uint64 (const PigeonImapValue *value,
                                              guint64               *out);
gboolean        pigeon_imap_value_get_uint32 (const PigeonImapValue *value,
                                              guint32               *out);
/* Lists (0 items / NULL for other types). */
guint           pigeon_imap_value_get_n_items (const PigeonImapValue *value);
PigeonImapValue *pigeon_imap_value_get_item  (const PigeonImapValue *value,
                                              guint                  index);

/* Responses */
void            pigeon_imap_response_free    (PigeonImapResponse *response);
/* The data response's argument INDEX, or NULL. */
PigeonImapValue *pigeon_imap_response_get_arg (const PigeonImapResponse *response,
                                              guint                     index);
guint           pigeon_imap_response_get_n_args (const PigeonImapResponse *response);

/* Parser */
void             pigeon_imap_limits_init_default (PigeonImapLimits *limits);
PigeonImapParser *pigeon_imap_parser_new     (const PigeonImapLimits *limits);
void             pigeon_imap_parser_free     (PigeonImapParser *parser);
const PigeonImapLimits *pigeon_imap_parser_get_limits (PigeonImapParser *parser);
/* Forgets a half-parsed response (after an error, or a new connection). */
void             pigeon_imap_parser_reset    (PigeonImapParser *parser);

PigeonImapParseResult pigeon_imap_parser_feed_line    (PigeonImapParser  *parser,
                                                       const char        *line,
                                                       gsize              length,
                                                       GError           **error);
gsize                 pigeon_imap_parser_get_literal_size (PigeonImapParser *parser);
PigeonImapParseResult pigeon_imap_parser_feed_literal (PigeonImapParser  *parser,
                                                       GBytes            *bytes,
                                                       GError           **error);
PigeonImapResponse   *pigeon_imap_parser_steal_response (PigeonImapParser *parser);

/* Raw stream framing: splits DATA (any chunk of what the server sent) into lines and
 * literals, and calls FUNC with each complete response (FUNC takes ownership).  Partial
 * lines and literals are kept, within the limits, for the next call. */
typedef void (*PigeonImapResponseFunc) (PigeonImapResponse *response,
                                        gpointer            user_data);
gboolean         pigeon_imap_parser_feed_bytes (PigeonImapParser       *parser,
                                                const guint8           *data,
                                                gsize                   length,
                                                PigeonImapResponseFunc  func,
                                                gpointer                user_data,
                                                GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonImapResponse, pigeon_imap_response_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonImapParser, pigeon_imap_parser_free)

G_END_DECLS
