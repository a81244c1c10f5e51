/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pigeon-imap-command.h"
#include "pigeon-imap-parser.h"

G_BEGIN_DECLS

/*
 * One IMAP connection's protocol state: tags, commands in flight (pipelining), untagged
 * responses at any moment, continuation requests, literals (LITERAL+ / LITERAL- when the
 * server has them), capabilities and the selected mailbox.  Blocking, for one thread at a
 * time.  The bytes go through PigeonImapIoFuncs, so the same code runs over a
 * PigeonConnection and over the scripted fake server of the unit tests.
 *
 * Any read, write or parse failure breaks the session: it closes the transport, and every
 * later call fails with PIGEON_ERROR_CONNECTION_LOST (or the original error's code).
 */
typedef struct
{
  char    *(*read_line)          (gpointer io, gsize *length, GCancellable *cancellable,
                                  GError **error);
  GBytes  *(*read_bytes)         (gpointer io, gsize count, GCancellable *cancellable,
                                  GError **error);
  gboolean (*write)              (gpointer io, const void *data, gsize length,
                                  GCancellable *cancellable, GError **error);
  /* LINE and CR LF; the protocol trace shows the line (write() shows a byte count). */
  gboolean (*write_line)         (gpointer io, const char *line, GCancellable *cancellable,
                                  GError **error);
  gboolean (*write_secret_line)  (gpointer io, const char *line, const char *trace_prefix,
                                  GCancellable *cancellable, GError **error);
  gboolean (*flush)              (gpointer io, GCancellable *cancellable, GError **error);
  gboolean (*start_tls)          (gpointer io, GCancellable *cancellable, GError **error);
  gboolean (*start_compression)  (gpointer io, GError **error);
  void     (*set_read_timeout)   (gpointer io, guint seconds);
  void     (*close)              (gpointer io);
} PigeonImapIoFuncs;

typedef enum
{
  PIGEON_IMAP_STATE_NOT_AUTHENTICATED,
  PIGEON_IMAP_STATE_AUTHENTICATED,
  PIGEON_IMAP_STATE_SELECTED,
  PIGEON_IMAP_STATE_LOGOUT,
} PigeonImapState;

/* What the server said about the selected mailbox. */
typedef struct
{
  char     *mailbox;        /* the name as sent (modified UTF-7); NULL when none */
  gboolean  read_only;
  guint32   exists;
  guint32   uidvalidity;
  guint32   uidnext;        /* 0 when the server did not say */
  guint64   highestmodseq;  /* 0 when unknown or NOMODSEQ */
  gboolean  nomodseq;
} PigeonImapSelected;

/* Untagged responses no command in flight consumed (EXISTS while idle, a FETCH with flags
 * changed by another client, EXPUNGE, VANISHED, ...). */
typedef void (*PigeonImapUnsolicitedFunc) (PigeonImapSession  *session,
                                           PigeonImapResponse *response,
                                           gpointer            user_data);

#define PIGEON_TYPE_IMAP_SESSION (pigeon_imap_session_get_type ())
G_DECLARE_FINAL_TYPE (PigeonImapSession, pigeon_imap_session, PIGEON, IMAP_SESSION, GObject)

PigeonImapSession *pigeon_imap_session_new (const PigeonImapIoFuncs *funcs,
                                            gpointer                 io,
                                            GDestroyNotify           io_free,
                                            const PigeonImapLimits  *limits);

void            pigeon_imap_session_set_unsolicited_func (PigeonImapSession        *self,
                                                          PigeonImapUnsolicitedFunc func,
                                                          gpointer                  user_data);

/* Reads the server's greeting: OK (not authenticated), PREAUTH, or BYE (an error). */
gboolean        pigeon_imap_session_read_greeting (PigeonImapSession *self,
                                                   GCancellable      *cancellable,
                                                   GError           **error);
PigeonImapState pigeon_imap_session_get_state     (PigeonImapSession *self);
void            pigeon_imap_session_set_state     (PigeonImapSession *self,
                                                   PigeonImapState    state);

/* Capabilities, as last announced (CAPABILITY response or code), case-insensitive. */
gboolean        pigeon_imap_session_has_capability (PigeonImapSession *self,
                                                    const char        *name);
/* Whether any announced capability starts with PREFIX ("AUTH=" …). */
gboolean        pigeon_imap_session_has_capability_prefix (PigeonImapSession *self,
                                                           const char        *prefix);
gboolean        pigeon_imap_session_has_capabilities (PigeonImapSession *self);
/* What follows PREFIX in each capability that has it: "AUTH=" gives the SASL mechanisms. */
char          **pigeon_imap_session_dup_capability_values (PigeonImapSession *self,
                                                           const char        *prefix);
/* Counts announcements: a caller can tell whether a response brought a new list. */
guint           pigeon_imap_session_get_capability_serial (PigeonImapSession *self);
/* Forgets them (after STARTTLS, login) so the next announcement replaces them. */
void            pigeon_imap_session_clear_capabilities (PigeonImapSession *self);
/* Whether mailbox names travel as UTF-8 rather than modified UTF-7. */
gboolean        pigeon_imap_session_uses_utf8_names (PigeonImapSession *self);
/* Whether ENABLE turned the extension on (ENABLED response). */
gboolean        pigeon_imap_session_is_enabled    (PigeonImapSession *self,
                                                   const char        *extension);

const PigeonImapSelected *pigeon_imap_session_get_selected (PigeonImapSession *self);

/* Tags COMMAND and writes it (buffered; a synchronising literal waits for the server's
 * "+", reading other responses meanwhile).  TRUE when written or when the server already
 * refused it (it is then done). */
gboolean        pigeon_imap_session_send          (PigeonImapSession *self,
                                                   PigeonImapCommand *command,
                                                   GCancellable      *cancellable,
                                                   GError           **error);
gboolean        pigeon_imap_session_flush         (PigeonImapSession *self,
                                                   GCancellable      *cancellable,
                                                   GError           **error);
/* Flushes, then reads responses until COMMAND is done (whatever its status). */
gboolean        pigeon_imap_session_wait          (PigeonImapSession *self,
                                                   PigeonImapCommand *command,
                                                   GCancellable      *cancellable,
                                                   GError           **error);
/* Send, wait, and pigeon_imap_command_check(). */
gboolean        pigeon_imap_session_run           (PigeonImapSession *self,
                                                   PigeonImapCommand *command,
                                                   GCancellable      *cancellable,
                                                   GError           **error);
/* A command without arguments or handlers, run to completion. */
gboolean        pigeon_imap_session_run_simple    (PigeonImapSession *self,
                                                   const char        *text,
                                                   GCancellable      *cancellable,
                                                   GError           **error);
/* Reads and dispatches one response. */
gboolean        pigeon_imap_session_read_response (PigeonImapSession *self,
                                                   GCancellable      *cancellable,
                                                   GError           **error);
/* Like read_response, but a cancellation or read timeout before the first byte of a
 * response leaves the session usable (waiting in IDLE). */
gboolean        pigeon_imap_session_read_interruptible (PigeonImapSession *self,
                                                        GCancellable      *cancellable,
                                                        GError           **error);
/* Writes raw bytes (IDLE's DONE, a SASL reply) outside any command. */
gboolean        pigeon_imap_session_write_line    (PigeonImapSession *self,
                                                   const char        *line,
                                                   gboolean           secret,
                                                   GCancellable      *cancellable,
                                                   GError           **error);

/* SELECT or EXAMINE MAILBOX (raw name), with PARAMS ("(CONDSTORE)", "(QRESYNC (…))") or
 * NULL; UNTAGGED_FUNC sees the responses (VANISHED (EARLIER), FETCH) as they arrive.  The
 * selected state is reset first; a refusal leaves nothing selected. */
gboolean        pigeon_imap_session_select        (PigeonImapSession      *self,
                                                   const char             *mailbox,
                                                   gboolean                read_only,
                                                   const char             *params,
                                                   PigeonImapUntaggedFunc  untagged_func,
                                                   gpointer                user_data,
                                                   GCancellable           *cancellable,
                                                   GError                **error);
/* Leaves the selected mailbox without expunging (UNSELECT, else EXAMINE of a name that
 * cannot exist). */
gboolean        pigeon_imap_session_unselect      (PigeonImapSession *self,
                                                   GCancellable      *cancellable,
                                                   GError           **error);

gboolean        pigeon_imap_session_start_tls     (PigeonImapSession *self,
                                                   GCancellable      *cancellable,
                                                   GError           **error);
gboolean        pigeon_imap_session_start_compression (PigeonImapSession *self,
                                                       GError           **error);
void            pigeon_imap_session_set_read_timeout (PigeonImapSession *self,
                                                      guint              seconds);

guint           pigeon_imap_session_get_n_in_flight (PigeonImapSession *self);
gboolean        pigeon_imap_session_is_broken     (PigeonImapSession *self);
/* Closes the transport (thread-safe: interrupts a blocking read in another thread). */
void            pigeon_imap_session_close         (PigeonImapSession *self);
/* LOGOUT, then close; never fails. */
void            pigeon_imap_session_logout        (PigeonImapSession *self,
                                                   GCancellable      *cancellable);

G_END_DECLS
