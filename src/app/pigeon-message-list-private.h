/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-message-list-model.h"
#include "pigeon-store-list.h"

G_BEGIN_DECLS

/*
 * Shared by the message list model and its loader.  The loader runs on a worker thread: it
 * reads every source's entries, puts them in the list's order and, given the list the model
 * shows now, works out the edit that turns one into the other.
 */

/* One row of the list, in the list's order: 40 bytes, whatever the message. */
typedef struct
{
  gint64      id;
  gint64      date;
  gint64      thread_id;
  const char *key;       /* sender order: the sender's collation key (in the list's chunk) */
  guint32     count;     /* messages of the conversation (1 unthreaded) */
  guint32     unread;    /* unread among them (threaded and search only) */
  guint32     source;
} PigeonListRow;

typedef struct
{
  GArray       *rows;     /* PigeonListRow */
  GStringChunk *strings;  /* the keys */
} PigeonListRows;

PigeonListRows *pigeon_list_rows_new   (void);
void            pigeon_list_rows_free  (PigeonListRows *rows);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonListRows, pigeon_list_rows_free)

/* Whether two rows show the same thing at the same place. */
gboolean        pigeon_list_row_same   (const PigeonListRow *a,
                                        const PigeonListRow *b);
int             pigeon_list_row_compare (const PigeonListRow *a,
                                         const PigeonListRow *b,
                                         PigeonListSort       sort);

/* One step of an edit, run-length coded. */
typedef enum
{
  PIGEON_LIST_EDIT_KEEP,     /* the row stays as it is */
  PIGEON_LIST_EDIT_CHANGE,   /* the row stays, its count or unread count changed */
  PIGEON_LIST_EDIT_DELETE,
  PIGEON_LIST_EDIT_INSERT,
} PigeonListEditKind;

typedef struct
{
  guint32 kind;
  guint32 n;
} PigeonListEdit;

/* What the loader reads: a store's folder (or, searching, the folder or every folder), or
 * with IDS just those messages (the server's search results). */
typedef struct
{
  PigeonStore *store;
  gint64       folder_id;
  GArray      *ids;        /* gint64, referenced; NULL: the folder */
  gboolean     recipients; /* a folder of one's own mail (Sent, Drafts): rows name the To */
} PigeonListSource;

typedef struct
{
  GArray         *sources;   /* PigeonListSource, stores referenced */
  PigeonListSort  sort;
  gboolean        threaded;
  char           *search;
  PigeonListRows *old;       /* borrowed: what the model shows, NULL on the first load */
  /* results */
  PigeonListRows *rows;
  GArray         *edits;     /* PigeonListEdit, with OLD */
} PigeonListLoad;

void            pigeon_list_load_free  (PigeonListLoad *load);
/* Worker thread: fills LOAD->rows (and LOAD->edits when LOAD->old is set). */
gboolean        pigeon_list_load_run   (PigeonListLoad *load,
                                        GCancellable   *cancellable,
                                        GError        **error);
/* The edit from OLD to NEW, both in the order of SORT. */
GArray         *pigeon_list_diff       (const PigeonListRows *old,
                                        const PigeonListRows *new_rows,
                                        PigeonListSort        sort);
/* The name part of "Name <addr>" (the address when there is no name). */
char           *pigeon_list_sender_name (const char *from);
/* What a row shows in the sender's place: the sender's name, or in a folder of one's own
 * mail (RECIPIENTS) "To: " and the names of the To field ("To: Bob, Carol Jones"). */
char           *pigeon_list_row_name    (const char *field,
                                         gboolean    recipients);

G_END_DECLS
