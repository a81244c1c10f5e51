/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-session.h"

G_BEGIN_DECLS

typedef enum
{
  PIGEON_LIST_SORT_DATE,    /* newest first */
  PIGEON_LIST_SORT_SENDER,  /* by sender name, then newest first */
} PigeonListSort;

/* The columns of PigeonMessageListModel. */
enum
{
  PIGEON_MESSAGE_LIST_COL_SOURCE,           /* int: index of the source (account) */
  PIGEON_MESSAGE_LIST_COL_ID,               /* gint64: message row id in that store */
  PIGEON_MESSAGE_LIST_COL_MARKUP,           /* string: sender line and subject line */
  PIGEON_MESSAGE_LIST_COL_DATE,             /* string: relative for today */
  PIGEON_MESSAGE_LIST_COL_UNREAD,           /* boolean (a conversation: any unread) */
  PIGEON_MESSAGE_LIST_COL_FLAGGED,          /* boolean */
  PIGEON_MESSAGE_LIST_COL_ATTACHMENT,       /* boolean */
  PIGEON_MESSAGE_LIST_COL_UNREAD_ICON,      /* string: icon name or NULL */
  PIGEON_MESSAGE_LIST_COL_STAR_ICON,        /* string: icon name */
  PIGEON_MESSAGE_LIST_COL_ATTACHMENT_ICON,  /* string: icon name or NULL */
  PIGEON_MESSAGE_LIST_COL_SUBJECT,          /* string */
  PIGEON_MESSAGE_LIST_COL_SENDER,           /* string: the sender's name */
  PIGEON_MESSAGE_LIST_COL_THREAD_COUNT,     /* uint: messages of the conversation, 1 alone */
  PIGEON_MESSAGE_LIST_N_COLUMNS
};

#define PIGEON_TYPE_MESSAGE_LIST_MODEL (pigeon_message_list_model_get_type ())
G_DECLARE_FINAL_TYPE (PigeonMessageListModel, pigeon_message_list_model, PIGEON,
                      MESSAGE_LIST_MODEL, GObject)

/*
 * A GtkTreeModel over one folder, several (All Inboxes) or search results, that holds only
 * the order of the rows (a few bytes each) and reads the rows a view draws from the store,
 * a page at a time, into a small cache.  It loads on a worker thread; ::loaded fires when
 * the first load is in, so a view can take the model whole.  Store changes are folded in
 * as row-inserted/-deleted/-changed signals computed off the main thread, so a view keeps
 * its selection and scroll position; ::reloaded fires after each.
 *
 * Threaded, each top-level row is a conversation (its newest message) whose messages are
 * its children, read when it is expanded.
 */
PigeonMessageListModel *pigeon_message_list_model_new        (PigeonListSort  sort,
                                                              gboolean        threaded,
                                                              const char     *search);
/* Adds what the model shows: FOLDER_ID of SESSION's store (0 with a search: every folder).
 * Call before pigeon_message_list_model_load; SESSION's store must be open. */
void            pigeon_message_list_model_add_source         (PigeonMessageListModel *self,
                                                              PigeonSession          *session,
                                                              gint64                  folder_id);
/* Adds a source that shows only the messages IDS of SESSION's store (of any folder), such
 * as a server search's results; those that leave the store leave the list. */
void            pigeon_message_list_model_add_source_ids     (PigeonMessageListModel *self,
                                                              PigeonSession          *session,
                                                              const gint64           *ids,
                                                              guint                   n_ids);
void            pigeon_message_list_model_load               (PigeonMessageListModel *self);
gboolean        pigeon_message_list_model_is_loaded          (PigeonMessageListModel *self);
const GError   *pigeon_message_list_model_get_error          (PigeonMessageListModel *self);
gboolean        pigeon_message_list_model_get_threaded       (PigeonMessageListModel *self);
const char     *pigeon_message_list_model_get_search         (PigeonMessageListModel *self);
guint           pigeon_message_list_model_get_n_sources      (PigeonMessageListModel *self);
PigeonSession  *pigeon_message_list_model_get_session        (PigeonMessageListModel *self,
                                                              guint                   source);
gint64          pigeon_message_list_model_get_folder_id      (PigeonMessageListModel *self,
                                                              guint                   source);
/* Top-level rows. */
/* The rows the model shows now; a big first load shows its top first and the rest as it
 * is revealed (get_revealing), until get_n_rows reaches get_n_loaded. */
guint           pigeon_message_list_model_get_n_rows         (PigeonMessageListModel *self);
guint           pigeon_message_list_model_get_n_loaded       (PigeonMessageListModel *self);
gboolean        pigeon_message_list_model_get_revealing      (PigeonMessageListModel *self);

/* The message a row shows (a conversation: its newest message). */
gboolean        pigeon_message_list_model_get_message        (PigeonMessageListModel *self,
                                                              GtkTreeIter            *iter,
                                                              guint                  *source,
                                                              gint64                 *id);
/* Every message a row stands for (a conversation: all of it in the folder), appended to
 * IDS (gint64) of the row's source. */
void            pigeon_message_list_model_collect_ids        (PigeonMessageListModel *self,
                                                              GtkTreeIter            *iter,
                                                              guint                  *source,
                                                              GArray                 *ids);
/* The top-level row of a message, if it is one (a conversation's newest message is). */
gboolean        pigeon_message_list_model_find               (PigeonMessageListModel *self,
                                                              guint                   source,
                                                              gint64                  id,
                                                              GtkTreeIter            *iter);

/* The relative date shown in the list ("14:32", "Yesterday", "Tue", "3 Mar", "03/03/21"). */
char           *pigeon_message_list_format_date              (gint64                  date,
                                                              GDateTime              *now);

G_END_DECLS
