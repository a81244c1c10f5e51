/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pigeon-imap-parser.h"

G_BEGIN_DECLS

/*
 * One IMAP command: its text and literals as built, and once sent its tag, the untagged
 * responses it wants to see and finally its tagged response.  Reference counted; the
 * session holds a reference while the command is in flight.
 */
typedef struct _PigeonImapCommand PigeonImapCommand;
typedef struct _PigeonImapSession PigeonImapSession;

/* Offered each untagged response while the command is in flight (oldest command first);
 * return TRUE to consume it. */
typedef gboolean (*PigeonImapUntaggedFunc)    (PigeonImapCommand  *command,
                                               PigeonImapResponse *response,
                                               gpointer            user_data);
/* A "+" continuation for this command (AUTHENTICATE, IDLE).  May write to the session. */
typedef gboolean (*PigeonImapContinuationFunc) (PigeonImapSession  *session,
                                                PigeonImapCommand  *command,
                                                PigeonImapResponse *response,
                                                gpointer            user_data,
                                                GCancellable       *cancellable,
                                                GError            **error);

/* NAME starts the command text ("UID FETCH"); add arguments with the functions below. */
PigeonImapCommand *pigeon_imap_command_new       (const char        *name);
PigeonImapCommand *pigeon_imap_command_ref       (PigeonImapCommand *command);
void               pigeon_imap_command_unref     (PigeonImapCommand *command);

/* Raw text, appended as is (the caller writes the separating spaces). */
void               pigeon_imap_command_add_text  (PigeonImapCommand *command,
                                                  const char        *format,
                                                  ...) G_GNUC_PRINTF (2, 3);
/* " " and STR as an atom, a quoted string or a literal, whichever is needed. */
void               pigeon_imap_command_add_astring (PigeonImapCommand *command,
                                                    const char        *str);
/* " {N}" and DATA (sent as LITERAL+ where the server allows). */
void               pigeon_imap_command_add_literal (PigeonImapCommand *command,
                                                    GBytes            *data);
/* The command is a credential: it is sent as one line traced as TRACE_PREFIX
 * "<redacted>".  It must not contain literals. */
void               pigeon_imap_command_set_secret  (PigeonImapCommand *command,
                                                    const char        *trace_prefix);
void               pigeon_imap_command_set_untagged_func (PigeonImapCommand      *command,
                                                          PigeonImapUntaggedFunc  func,
                                                          gpointer                user_data);
void               pigeon_imap_command_set_continuation_func (PigeonImapCommand         *command,
                                                              PigeonImapContinuationFunc func,
                                                              gpointer                   user_data);

const char        *pigeon_imap_command_get_name    (PigeonImapCommand *command);
const char        *pigeon_imap_command_get_tag     (PigeonImapCommand *command);
gboolean           pigeon_imap_command_is_done     (PigeonImapCommand *command);
/* The tagged response, once done. */
PigeonImapResponse *pigeon_imap_command_get_response (PigeonImapCommand *command);
PigeonImapStatus   pigeon_imap_command_get_status  (PigeonImapCommand *command);
/* TRUE when the command completed with OK; otherwise a PIGEON_ERROR from the server's
 * answer (AUTH for a refused login, IN_USE, NOT_FOUND, SERVER for temporary failures,
 * FAILED for the rest), naming what was tried. */
gboolean           pigeon_imap_command_check       (PigeonImapCommand *command,
                                                    GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonImapCommand, pigeon_imap_command_unref)

G_END_DECLS
