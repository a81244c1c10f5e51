/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-imap-parser.h"
#include "pigeon-store-types.h"

G_BEGIN_DECLS

/* What the envelope sync asks for: enough to show a message in a list and thread it. */
#define PIGEON_IMAP_ENVELOPE_ITEMS \
  "UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE " \
  "BODY.PEEK[HEADER.FIELDS (REFERENCES)]"

/* The items of one FETCH response, borrowed from it. */
typedef struct
{
  guint32                seq;
  guint32                uid;          /* 0 when absent */
  gboolean               has_flags;
  PigeonMessageFlags     flags;
  guint64                modseq;
  gint64                 internal_date;
  gint64                 size;         /* -1 when absent */
  const PigeonImapValue *envelope;
  const PigeonImapValue *bodystructure;
  const PigeonImapValue *references;   /* BODY[HEADER.FIELDS (REFERENCES)] */
  const PigeonImapValue *body;         /* BODY[] */
} PigeonImapFetch;

/* FALSE when RESPONSE is not a well-formed "* N FETCH (...)". */
gboolean           pigeon_imap_fetch_parse        (const PigeonImapResponse *response,
                                                   PigeonImapFetch          *out);
/* A message row from a FETCH with an ENVELOPE; NULL without one. */
PigeonMessage     *pigeon_imap_fetch_to_message   (const PigeonImapFetch *fetch,
                                                   guint32                uidvalidity);

PigeonMessageFlags pigeon_imap_flags_from_list    (const PigeonImapValue *list);
/* "\\Seen \\Flagged $Forwarded" for a STORE or APPEND flag list (without parentheses). */
char              *pigeon_imap_flags_to_string    (PigeonMessageFlags flags);
/* Whether a BODYSTRUCTURE shows a part the user would call an attachment. */
gboolean           pigeon_imap_bodystructure_has_attachments (const PigeonImapValue *body);
/* "17-Jul-1996 02:44:25 -0700" in seconds since 1970; 0 when malformed. */
gint64             pigeon_imap_parse_internal_date (const char *text);

G_END_DECLS
