/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gmime/gmime.h>

G_BEGIN_DECLS

#define PIGEON_TYPE_MESSAGE_BUILDER (pigeon_message_builder_get_type ())
G_DECLARE_FINAL_TYPE (PigeonMessageBuilder, pigeon_message_builder, PIGEON, MESSAGE_BUILDER,
                      GObject)

/*
 * Builds the RFC 5322 bytes of a message the user wrote, with GMime: non-ASCII header text
 * as RFC 2047 encoded-words, non-ASCII file names as RFC 2231 parameters, a Message-ID on
 * the sender's domain, the Date, text parts in quoted-printable (or 7bit when that is
 * enough), attachments in base64, rich text as multipart/alternative with its plain-text
 * twin, CR LF line ends.  Whatever the user typed, a header field stays one header field:
 * CR, LF and other control characters in names, subjects and ids become spaces, and an
 * address that does not parse is refused, never passed through.
 */

typedef enum
{
  PIGEON_RECIPIENT_TO,
  PIGEON_RECIPIENT_CC,
  PIGEON_RECIPIENT_BCC,
} PigeonRecipientKind;

PigeonMessageBuilder *pigeon_message_builder_new              (void);

void         pigeon_message_builder_set_from          (PigeonMessageBuilder *self,
                                                       const char           *name,
                                                       const char           *address);
const char  *pigeon_message_builder_get_from_address  (PigeonMessageBuilder *self);
/* TEXT is what the user typed in a To, Cc or Bcc field: "Ann <ann@example.org>, bob@x.org"
 * (commas or semicolons between).  PIGEON_ERROR_INVALID names the first piece that is not
 * an address; nothing of TEXT is added then. */
gboolean     pigeon_message_builder_add_recipients    (PigeonMessageBuilder *self,
                                                       PigeonRecipientKind   kind,
                                                       const char           *text,
                                                       GError              **error);
/* What the user typed in a field that is not (yet) a list of addresses, kept in a draft
 * (X-Pigeon-To, -Cc, -Bcc) so reopening it shows the field as it was.  Only written with
 * INCLUDE_BCC; pigeon_compose_seed_new (EDIT) prefers it to the field. */
void         pigeon_message_builder_set_unparsed      (PigeonMessageBuilder *self,
                                                       PigeonRecipientKind   kind,
                                                       const char           *text);
/* Every envelope recipient (To, Cc and Bcc), each address once. */
GStrv        pigeon_message_builder_dup_recipients    (PigeonMessageBuilder *self);
void         pigeon_message_builder_set_subject       (PigeonMessageBuilder *self,
                                                       const char           *subject);
/* The plain text; with HTML as well the message is multipart/alternative. */
void         pigeon_message_builder_set_text          (PigeonMessageBuilder *self,
                                                       const char           *text);
void         pigeon_message_builder_set_html          (PigeonMessageBuilder *self,
                                                       const char           *html);
/* CONTENT_TYPE NULL guesses from the name and the data. */
void         pigeon_message_builder_add_attachment    (PigeonMessageBuilder *self,
                                                       const char           *filename,
                                                       const char           *content_type,
                                                       GBytes               *data);
/* A whole message attached as message/rfc822 (forward as attachment). */
void         pigeon_message_builder_add_message       (PigeonMessageBuilder *self,
                                                       const char           *filename,
                                                       GBytes               *raw);
/* Message ids without angle brackets; REFERENCES space-separated. */
void         pigeon_message_builder_set_in_reply_to   (PigeonMessageBuilder *self,
                                                       const char           *message_id);
void         pigeon_message_builder_set_references    (PigeonMessageBuilder *self,
                                                       const char           *references);
/* By default a new one on the sender's domain, made once. */
void         pigeon_message_builder_set_message_id    (PigeonMessageBuilder *self,
                                                       const char           *message_id);
const char  *pigeon_message_builder_get_message_id    (PigeonMessageBuilder *self);
/* By default the moment build is called. */
void         pigeon_message_builder_set_date          (PigeonMessageBuilder *self,
                                                       GDateTime            *date);

/* What a message is built for. */
typedef enum
{
  /* The outbox: the Bcc field is written, as the copy in Sent keeps it; the provider that
   * sends leaves it out of what recipients get (pigeon_mime_without_field). */
  PIGEON_MESSAGE_FOR_SENDING,
  /* A draft: also the recipient fields as typed when they did not parse, so reopening
   * it loses nothing. */
  PIGEON_MESSAGE_FOR_DRAFT,
} PigeonMessagePurpose;

GBytes      *pigeon_message_builder_build             (PigeonMessageBuilder *self,
                                                       PigeonMessagePurpose  purpose,
                                                       GError              **error);

/* A message given whole (pigeonctl send) made ready for the outbox: CR LF line ends, a
 * Date and a Message-ID when it has none, a From (DEFAULT_FROM) when it has none; a Bcc
 * field stays, as for pigeon_message_builder_build.  *SENDER gets the From address and *RECIPIENTS every To, Cc and Bcc address. */
GBytes      *pigeon_message_prepare_for_sending       (GBytes               *raw,
                                                       const char           *default_name,
                                                       const char           *default_from,
                                                       char                **sender,
                                                       GStrv                *recipients,
                                                       GError              **error);

/* ------------------------------------------------------------------ reply and forward */

typedef enum
{
  PIGEON_COMPOSE_NEW,
  PIGEON_COMPOSE_EDIT,                /* a draft reopened, or a message taken back */
  PIGEON_COMPOSE_REPLY,
  PIGEON_COMPOSE_REPLY_ALL,
  PIGEON_COMPOSE_FORWARD,             /* inline: quoted header block, text and attachments */
  PIGEON_COMPOSE_FORWARD_ATTACHMENT,  /* the original attached as message/rfc822 */
} PigeonComposeMode;

typedef struct
{
  char      *name;
  char      *content_type;
  GBytes    *data;
  gboolean   is_message;    /* message/rfc822: add with pigeon_message_builder_add_message */
} PigeonComposeAttachment;

/* What the composer starts from when answering or forwarding a message. */
typedef struct
{
  char      *from;          /* EDIT: the address it was written from, else NULL */
  char      *to;            /* field text, "Ann <ann@example.org>, …" (may be empty) */
  char      *cc;
  char      *bcc;           /* EDIT only */
  char      *subject;       /* "Re: …", "Fwd: …" */
  char      *in_reply_to;   /* without brackets, or NULL */
  char      *references;
  char      *body;          /* plain text: the attribution and the quote, or the forward */
  char      *html;          /* EDIT of a rich-text message: its HTML, else NULL */
  GPtrArray *attachments;   /* PigeonComposeAttachment* */
} PigeonComposeSeed;

/* ORIGINAL_RAW is the message answered, forwarded or edited; OWN_ADDRESSES (may be NULL)
 * are the user's, left out of Reply All.  NULL with PIGEON_ERROR_PROTOCOL when RAW is no
 * message. */
PigeonComposeSeed *pigeon_compose_seed_new     (PigeonComposeMode   mode,
                                                GBytes             *original_raw,
                                                const char * const *own_addresses,
                                                GError            **error);
void               pigeon_compose_seed_free    (PigeonComposeSeed  *seed);
void               pigeon_compose_attachment_free (PigeonComposeAttachment *attachment);

/* "> " before every line of TEXT (">" alone before one already quoted, RFC 3676 style). */
char              *pigeon_compose_quote_text   (const char         *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonComposeSeed, pigeon_compose_seed_free)

G_END_DECLS
