/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "pigeon-message-list-private.h"

/* Rows read around the one asked for: about two screens. */
#define PAGE_BEFORE 24
#define PAGE_AFTER  72
/* Past this many cached rows the cache starts over (a screen refills it in one read). */
#define CACHE_LIMIT 3000
/* Store changes are gathered this long before the list is reloaded. */
#define RELOAD_DELAY_MS 120

typedef struct
{
  PigeonMessageFlags flags;
  gboolean           has_attachments;
  gboolean           gone;
  gint64             date;
  char              *sender;
  char              *subject;
} RowData;

typedef struct
{
  PigeonMessageListModel *model;  /* owns the source */
  guint          index;
  PigeonSession *session;
  PigeonStore   *store;
  gint64         folder_id;
  gboolean       recipients; /* Sent or Drafts: rows name the recipients */
  GArray        *ids;       /* gint64: only these messages (server search results), or NULL */
  GHashTable    *rows;      /* gint64 id -> RowData */
  GHashTable    *threads;   /* gint64 thread id -> GArray of PigeonListRow, oldest first */
} Source;

struct _PigeonMessageListModel
{
  GObject parent_instance;

  PigeonListSort sort;
  gboolean threaded;
  char *search;
  GPtrArray *sources;        /* Source* */

  PigeonListRows *list;      /* what the model shows */
  gboolean loaded;
  GError *error;
  int stamp;

  /* folding a reload in: rows below APPLY_J are NEXT's, the rest OLD's from APPLY_I on */
  PigeonListRows *next;
  gboolean applying;
  guint apply_i;
  guint apply_j;

  /* a big first load is shown from its top while the rest is revealed in slices, so the
   * first rows are drawn before the view has a node for every row (see reveal_cb) */
  gboolean revealing;
  guint revealed;
  guint reveal_source;
  gint64 reveal_started;       /* for tests/bench/gui: how long it took, the longest slice */
  gint64 reveal_longest;

  GCancellable *cancellable;
  gboolean loading;
  gboolean reload_wanted;
  guint reload_source;
  GDateTime *now;            /* for relative dates; refreshed per reload */
};

static void tree_model_iface_init (GtkTreeModelIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PigeonMessageListModel, pigeon_message_list_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_TREE_MODEL, tree_model_iface_init))

enum {
  SIGNAL_LOADED,
  SIGNAL_RELOADED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_load (PigeonMessageListModel *self);

/* ------------------------------------------------------------------ rows */

static void
row_data_free (gpointer data)
{
  RowData *row = data;

  g_free (row->sender);
  g_free (row->subject);
  g_free (row);
}

static void
source_free (gpointer data)
{
  Source *source = data;

  if (source->store != NULL)
    g_signal_handlers_disconnect_by_data (source->store, source);
  g_clear_object (&source->store);
  g_clear_object (&source->session);
  g_clear_pointer (&source->rows, g_hash_table_unref);
  g_clear_pointer (&source->threads, g_hash_table_unref);
  g_clear_pointer (&source->ids, g_array_unref);
  g_free (source);
}

static guint
n_rows (PigeonMessageListModel *self)
{
  if (self->applying)
    return self->apply_j + (self->list->rows->len - self->apply_i);
  if (self->list == NULL)
    return 0;
  if (self->revealing)
    return MIN (self->revealed, self->list->rows->len);
  return self->list->rows->len;
}

static const PigeonListRow *
row_at (PigeonMessageListModel *self,
        guint                   pos)
{
  if (self->applying)
    {
      if (pos < self->apply_j)
        return &g_array_index (self->next->rows, PigeonListRow, pos);
      return &g_array_index (self->list->rows, PigeonListRow,
                             pos - self->apply_j + self->apply_i);
    }
  return &g_array_index (self->list->rows, PigeonListRow, pos);
}

static Source *
source_of (PigeonMessageListModel *self,
           const PigeonListRow    *row)
{
  return g_ptr_array_index (self->sources, row->source);
}

static guint
cached_rows (PigeonMessageListModel *self)
{
  guint total = 0;

  for (guint i = 0; i < self->sources->len; i++)
    total += g_hash_table_size (((Source *) g_ptr_array_index (self->sources, i))->rows);
  return total;
}

static void
store_rows (Source    *source,
            GPtrArray *messages)
{
  for (guint i = 0; i < messages->len; i++)
    {
      const PigeonMessage *m = g_ptr_array_index (messages, i);
      RowData *row = g_hash_table_lookup (source->rows, &m->id);

      if (row == NULL)
        {
          gint64 *key = g_new (gint64, 1);

          *key = m->id;
          row = g_new0 (RowData, 1);
          g_hash_table_insert (source->rows, key, row);
        }
      g_clear_pointer (&row->sender, g_free);
      g_clear_pointer (&row->subject, g_free);
      row->flags = m->flags;
      row->has_attachments = m->has_attachments;
      row->gone = FALSE;
      row->date = m->date;
      row->sender = pigeon_list_row_name (source->recipients ? m->to : m->from,
                                          source->recipients);
      row->subject = g_strdup (m->subject);
    }
}

/* Reads the IDS of SOURCE the cache lacks; an id the store no longer has shows blank until
 * the reload that removes it. */
static void
fetch_rows (Source *source,
            GArray *ids)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = NULL;

  if (ids->len == 0)
    return;
  messages = pigeon_store_get_messages (source->store, (const gint64 *) (gpointer) ids->data,
                                        ids->len, &error);
  if (messages == NULL)
    {
      g_debug ("Could not read message rows: %s", error->message);
      return;
    }
  store_rows (source, messages);
  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);

      if (!g_hash_table_contains (source->rows, &id))
        {
          gint64 *key = g_new (gint64, 1);
          RowData *row = g_new0 (RowData, 1);

          *key = id;
          row->gone = TRUE;
          g_hash_table_insert (source->rows, key, row);
        }
    }
}

static void
clear_cache_if_full (PigeonMessageListModel *self)
{
  if (cached_rows (self) < CACHE_LIMIT)
    return;
  for (guint i = 0; i < self->sources->len; i++)
    g_hash_table_remove_all (((Source *) g_ptr_array_index (self->sources, i))->rows);
}

/* The row data of top-level row POS, reading a page around it on a miss. */
static RowData *
row_data_at (PigeonMessageListModel *self,
             guint                   pos)
{
  const PigeonListRow *row = row_at (self, pos);
  Source *source = source_of (self, row);
  RowData *data = g_hash_table_lookup (source->rows, &row->id);
  g_autoptr(GPtrArray) wanted = NULL;
  guint first, last, total;

  if (data != NULL)
    return data;

  clear_cache_if_full (self);
  total = n_rows (self);
  first = pos > PAGE_BEFORE ? pos - PAGE_BEFORE : 0;
  last = MIN (total, pos + PAGE_AFTER);
  wanted = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  for (guint i = 0; i < self->sources->len; i++)
    g_ptr_array_add (wanted, g_array_new (FALSE, FALSE, sizeof (gint64)));
  for (guint p = first; p < last; p++)
    {
      const PigeonListRow *r = row_at (self, p);
      Source *s = source_of (self, r);

      if (!g_hash_table_contains (s->rows, &r->id))
        g_array_append_val (g_ptr_array_index (wanted, r->source), r->id);
    }
  for (guint i = 0; i < self->sources->len; i++)
    fetch_rows (g_ptr_array_index (self->sources, i), g_ptr_array_index (wanted, i));

  /* fetch_rows always leaves an entry, so this cannot miss. */
  return g_hash_table_lookup (source->rows, &row->id);
}

static GArray *
children_of (PigeonMessageListModel *self,
             guint                   pos)
{
  const PigeonListRow *row = row_at (self, pos);
  Source *source = source_of (self, row);
  GArray *children;
  g_autoptr(GError) error = NULL;

  if (!self->threaded || row->count < 2)
    return NULL;
  children = g_hash_table_lookup (source->threads, &row->thread_id);
  if (children != NULL)
    return children;

  children = pigeon_store_list_thread (source->store, source->folder_id, row->thread_id, &error);
  if (children == NULL)
    {
      g_debug ("Could not read a conversation: %s", error->message);
      children = g_array_new (FALSE, FALSE, sizeof (PigeonListEntry));
    }
  {
    /* Keep them as list rows of this source. */
    GArray *rows = g_array_sized_new (FALSE, FALSE, sizeof (PigeonListRow), children->len);
    gint64 *key = g_new (gint64, 1);

    for (guint i = 0; i < children->len; i++)
      {
        const PigeonListEntry *e = &g_array_index (children, PigeonListEntry, i);
        PigeonListRow r = { e->id, e->date, e->thread_id, NULL, 1, 0, row->source };

        g_array_append_val (rows, r);
      }
    g_array_unref (children);
    *key = row->thread_id;
    g_hash_table_insert (source->threads, key, rows);
    return rows;
  }
}

static RowData *
child_data (PigeonMessageListModel *self,
            const PigeonListRow    *child)
{
  Source *source = source_of (self, child);
  RowData *data = g_hash_table_lookup (source->rows, &child->id);
  GArray *siblings;
  g_autoptr(GArray) wanted = NULL;

  if (data != NULL)
    return data;
  clear_cache_if_full (self);
  siblings = g_hash_table_lookup (source->threads, &child->thread_id);
  wanted = g_array_new (FALSE, FALSE, sizeof (gint64));
  if (siblings != NULL)
    {
      for (guint i = 0; i < siblings->len; i++)
        {
          gint64 id = g_array_index (siblings, PigeonListRow, i).id;

          if (!g_hash_table_contains (source->rows, &id))
            g_array_append_val (wanted, id);
        }
    }
  if (wanted->len == 0)
    g_array_append_val (wanted, child->id);
  fetch_rows (source, wanted);
  return g_hash_table_lookup (source->rows, &child->id);
}

/* ------------------------------------------------------------------ iterators */

static gboolean
iter_is_valid (PigeonMessageListModel *self,
               GtkTreeIter            *iter)
{
  return iter != NULL && iter->stamp == self->stamp;
}

static void
set_iter (PigeonMessageListModel *self,
          GtkTreeIter            *iter,
          guint                   pos,
          int                     child)
{
  iter->stamp = self->stamp;
  iter->user_data = GUINT_TO_POINTER (pos);
  iter->user_data2 = GINT_TO_POINTER (child + 1);
  iter->user_data3 = NULL;
}

#define ITER_POS(iter)   GPOINTER_TO_UINT ((iter)->user_data)
#define ITER_CHILD(iter) (GPOINTER_TO_INT ((iter)->user_data2) - 1)

static const PigeonListRow *
iter_row (PigeonMessageListModel *self,
          GtkTreeIter            *iter,
          RowData               **data)
{
  guint pos = ITER_POS (iter);
  int child = ITER_CHILD (iter);

  if (pos >= n_rows (self))
    return NULL;
  if (child < 0)
    {
      if (data != NULL)
        *data = row_data_at (self, pos);
      return row_at (self, pos);
    }
  {
    GArray *children = children_of (self, pos);
    const PigeonListRow *row;

    if (children == NULL || (guint) child >= children->len)
      return NULL;
    row = &g_array_index (children, PigeonListRow, child);
    if (data != NULL)
      *data = child_data (self, row);
    return row;
  }
}

static GtkTreeModelFlags
model_get_flags (GtkTreeModel *model)
{
  PigeonMessageListModel *self = PIGEON_MESSAGE_LIST_MODEL (model);

  return self->threaded ? 0 : GTK_TREE_MODEL_LIST_ONLY;
}

static int
model_get_n_columns (GtkTreeModel *model)
{
  return PIGEON_MESSAGE_LIST_N_COLUMNS;
}

static GType
model_get_column_type (GtkTreeModel *model,
                       int           column)
{
  switch (column)
    {
    case PIGEON_MESSAGE_LIST_COL_SOURCE: return G_TYPE_INT;
    case PIGEON_MESSAGE_LIST_COL_ID: return G_TYPE_INT64;
    case PIGEON_MESSAGE_LIST_COL_UNREAD:
    case PIGEON_MESSAGE_LIST_COL_FLAGGED:
    case PIGEON_MESSAGE_LIST_COL_ATTACHMENT: return G_TYPE_BOOLEAN;
    case PIGEON_MESSAGE_LIST_COL_THREAD_COUNT: return G_TYPE_UINT;
    default: return G_TYPE_STRING;
    }
}

static gboolean
model_get_iter (GtkTreeModel *model,
                GtkTreeIter  *iter,
                GtkTreePath  *path)
{
  PigeonMessageListModel *self = PIGEON_MESSAGE_LIST_MODEL (model);
  int depth = gtk_tree_path_get_depth (path);
  int *indices = gtk_tree_path_get_indices (path);

  if (depth < 1 || depth > 2 || indices[0] < 0 || (guint) indices[0] >= n_rows (self))
    return FALSE;
  if (depth == 2)
    {
      GArray *children = children_of (self, indices[0]);

      if (children == NULL || indices[1] < 0 || (guint) indices[1] >= children->len)
        return FALSE;
      set_iter (self, iter, indices[0], indices[1]);
      return TRUE;
    }
  set_iter (self, iter, indices[0], -1);
  return TRUE;
}

static GtkTreePath *
model_get_path (GtkTreeModel *model,
                GtkTreeIter  *iter)
{
  PigeonMessageListModel *self = PIGEON_MESSAGE_LIST_MODEL (model);
  GtkTreePath *path;

  g_return_val_if_fail (iter_is_valid (self, iter), NULL);
  path = gtk_tree_path_new_from_indices (ITER_POS (iter), -1);
  if (ITER_CHILD (iter) >= 0)
    gtk_tree_path_append_index (path, ITER_CHILD (iter));
  return path;
}

static char *
row_markup (const PigeonListRow *row,
            const RowData       *data,
            gboolean             unread)
{
  const char *subject = data->subject && *data->subject ? data->subject : _("(No subject)");
  const char *sender = data->sender && *data->sender ? data->sender : _("(Unknown sender)");

  if (row->count > 1)
    return g_markup_printf_escaped (unread ? "<b>%s</b>  <small>%u</small>\n<b>%s</b>"
                                           : "%s  <small>%u</small>\n%s",
                                    sender, row->count, subject);
  return g_markup_printf_escaped (unread ? "<b>%s</b>\n<b>%s</b>" : "%s\n%s", sender, subject);
}

static void
model_get_value (GtkTreeModel *model,
                 GtkTreeIter  *iter,
                 int           column,
                 GValue       *value)
{
  PigeonMessageListModel *self = PIGEON_MESSAGE_LIST_MODEL (model);
  RowData *data = NULL;
  const PigeonListRow *row;
  gboolean unread, flagged;

  g_value_init (value, model_get_column_type (model, column));
  g_return_if_fail (iter_is_valid (self, iter));

  /* What the list's order holds needs no row read. */
  switch (column)
    {
    case PIGEON_MESSAGE_LIST_COL_SOURCE:
    case PIGEON_MESSAGE_LIST_COL_ID:
    case PIGEON_MESSAGE_LIST_COL_THREAD_COUNT:
      row = iter_row (self, iter, NULL);
      if (row == NULL)
        return;
      if (column == PIGEON_MESSAGE_LIST_COL_SOURCE)
        g_value_set_int (value, row->source);
      else if (column == PIGEON_MESSAGE_LIST_COL_ID)
        g_value_set_int64 (value, row->id);
      else
        g_value_set_uint (value, ITER_CHILD (iter) < 0 ? row->count : 1);
      return;
    default:
      break;
    }

  row = iter_row (self, iter, &data);
  if (row == NULL || data == NULL || data->gone)
    return;

  /* A collapsed conversation is unread when any of it is. */
  unread = (data->flags & PIGEON_MESSAGE_FLAG_SEEN) == 0 ||
           (ITER_CHILD (iter) < 0 && row->count > 1 && row->unread > 0);
  flagged = (data->flags & PIGEON_MESSAGE_FLAG_FLAGGED) != 0;

  switch (column)
    {
    case PIGEON_MESSAGE_LIST_COL_MARKUP:
      g_value_take_string (value, row_markup (row, data, unread));
      break;
    case PIGEON_MESSAGE_LIST_COL_DATE:
      g_value_take_string (value, pigeon_message_list_format_date (data->date, self->now));
      break;
    case PIGEON_MESSAGE_LIST_COL_UNREAD:
      g_value_set_boolean (value, unread);
      break;
    case PIGEON_MESSAGE_LIST_COL_FLAGGED:
      g_value_set_boolean (value, flagged);
      break;
    case PIGEON_MESSAGE_LIST_COL_ATTACHMENT:
      g_value_set_boolean (value, data->has_attachments);
      break;
    case PIGEON_MESSAGE_LIST_COL_UNREAD_ICON:
      g_value_set_static_string (value, unread ? "pigeon-unread" : NULL);
      break;
    case PIGEON_MESSAGE_LIST_COL_STAR_ICON:
      g_value_set_static_string (value, flagged ? "starred-symbolic" : "non-starred-symbolic");
      break;
    case PIGEON_MESSAGE_LIST_COL_ATTACHMENT_ICON:
      g_value_set_static_string (value, data->has_attachments ? "mail-attachment-symbolic"
                                                              : NULL);
      break;
    case PIGEON_MESSAGE_LIST_COL_SUBJECT:
      g_value_set_string (value, data->subject);
      break;
    case PIGEON_MESSAGE_LIST_COL_SENDER:
      g_value_set_string (value, data->sender);
      break;
    default:
      g_return_if_reached ();
    }
}

static gboolean
model_iter_next (GtkTreeModel *model,
                 GtkTreeIter  *iter)
{
  PigeonMessageListModel *self = PIGEON_MESSAGE_LIST_MODEL (model);
  guint pos = ITER_POS (iter);
  int child = ITER_CHILD (iter);

  if (child >= 0)
    {
      GArray *children = children_of (self, pos);

      if (children == NULL || (guint) child + 1 >= children->len)
        {
          iter->stamp = 0;
          return FALSE;
        }
      set_iter (self, iter, pos, child + 1);
      return TRUE;
    }
  if (pos + 1 >= n_rows (self))
    {
      iter->stamp = 0;
      return FALSE;
    }
  set_iter (self, iter, pos + 1, -1);
  return TRUE;
}

static gboolean
model_iter_previous (GtkTreeModel *model,
                     GtkTreeIter  *iter)
{
  PigeonMessageListModel *self = PIGEON_MESSAGE_LIST_MODEL (model);
  guint pos = ITER_POS (iter);
  int child = ITER_CHILD (iter);

  if (child >= 0)
    {
      if (child == 0)
        {
          iter->stamp = 0;
          return FALSE;
        }
      set_iter (self, iter, pos, child - 1);
      return TRUE;
    }
  if (pos == 0)
    {
      iter->stamp = 0;
      return FALSE;
    }
  set_iter (self, iter, pos - 1, -1);
  return TRUE;
}

static gboolean
model_iter_nth_child (GtkTreeModel *model,
                      GtkTreeIter  *iter,
                      GtkTreeIter  *parent,
                      int           n)
{
  PigeonMessageListModel *self = PIGEON_MESSAGE_LIST_MODEL (model);

  if (parent == NULL)
    {
      if (n < 0 || (guint) n >= n_rows (self))
        return FALSE;
      set_iter (self, iter, n, -1);
      return TRUE;
    }
  if (ITER_CHILD (parent) >= 0)
    return FALSE;
  {
    GArray *children = children_of (self, ITER_POS (parent));

    if (children == NULL || n < 0 || (guint) n >= children->len)
      return FALSE;
    set_iter (self, iter, ITER_POS (parent), n);
    return TRUE;
  }
}

static gboolean
model_iter_children (GtkTreeModel *model,
                     GtkTreeIter  *iter,
                     GtkTreeIter  *parent)
{
  return model_iter_nth_child (model, iter, parent, 0);
}

static gboolean
model_iter_has_child (GtkTreeModel *model,
                      GtkTreeIter  *iter)
{
  PigeonMessageListModel *self = PIGEON_MESSAGE_LIST_MODEL (model);

  if (!self->threaded || ITER_CHILD (iter) >= 0 || ITER_POS (iter) >= n_rows (self))
    return FALSE;
  return row_at (self, ITER_POS (iter))->count > 1;
}

static int
model_iter_n_children (GtkTreeModel *model,
                       GtkTreeIter  *iter)
{
  PigeonMessageListModel *self = PIGEON_MESSAGE_LIST_MODEL (model);
  GArray *children;

  if (iter == NULL)
    return n_rows (self);
  if (ITER_CHILD (iter) >= 0)
    return 0;
  children = children_of (self, ITER_POS (iter));
  return children != NULL ? (int) children->len : 0;
}

static gboolean
model_iter_parent (GtkTreeModel *model,
                   GtkTreeIter  *iter,
                   GtkTreeIter  *child)
{
  PigeonMessageListModel *self = PIGEON_MESSAGE_LIST_MODEL (model);

  if (ITER_CHILD (child) < 0)
    return FALSE;
  set_iter (self, iter, ITER_POS (child), -1);
  return TRUE;
}

static void
tree_model_iface_init (GtkTreeModelIface *iface)
{
  iface->get_flags = model_get_flags;
  iface->get_n_columns = model_get_n_columns;
  iface->get_column_type = model_get_column_type;
  iface->get_iter = model_get_iter;
  iface->get_path = model_get_path;
  iface->get_value = model_get_value;
  iface->iter_next = model_iter_next;
  iface->iter_previous = model_iter_previous;
  iface->iter_children = model_iter_children;
  iface->iter_has_child = model_iter_has_child;
  iface->iter_n_children = model_iter_n_children;
  iface->iter_nth_child = model_iter_nth_child;
  iface->iter_parent = model_iter_parent;
}

/* ------------------------------------------------------------------ folding changes in */

static void
emit_path (PigeonMessageListModel *self,
           guint                   signal_kind,
           guint                   pos,
           int                     child)
{
  g_autoptr(GtkTreePath) path = gtk_tree_path_new_from_indices (pos, -1);
  GtkTreeIter iter;

  if (child >= 0)
    gtk_tree_path_append_index (path, child);
  set_iter (self, &iter, pos, child);
  switch (signal_kind)
    {
    case PIGEON_LIST_EDIT_DELETE:
      gtk_tree_model_row_deleted (GTK_TREE_MODEL (self), path);
      break;
    case PIGEON_LIST_EDIT_INSERT:
      gtk_tree_model_row_inserted (GTK_TREE_MODEL (self), path, &iter);
      if (child < 0 && model_iter_has_child (GTK_TREE_MODEL (self), &iter))
        gtk_tree_model_row_has_child_toggled (GTK_TREE_MODEL (self), path, &iter);
      break;
    case PIGEON_LIST_EDIT_CHANGE:
    default:
      gtk_tree_model_row_changed (GTK_TREE_MODEL (self), path, &iter);
      break;
    }
}

/* A conversation kept its place but its messages changed: its loaded children go and the
 * new ones come, one signal each, so an expanded row stays expanded. */
static void
refresh_children (PigeonMessageListModel *self,
                  guint                   pos,
                  gboolean                had_child)
{
  const PigeonListRow *row = row_at (self, pos);
  Source *source = source_of (self, row);
  GArray *old = g_hash_table_lookup (source->threads, &row->thread_id);
  GtkTreeIter iter;

  if (old != NULL)
    {
      g_autoptr(GArray) fresh = NULL;

      while (old->len > 0)
        {
          g_array_set_size (old, old->len - 1);
          emit_path (self, PIGEON_LIST_EDIT_DELETE, pos, old->len);
        }
      g_hash_table_remove (source->threads, &row->thread_id);
      fresh = children_of (self, pos) ? g_array_ref (children_of (self, pos)) : NULL;
      if (fresh != NULL)
        {
          /* Grow the cached array one row at a time, as the signals say. */
          g_autoptr(GArray) all = g_array_copy (fresh);

          g_array_set_size (fresh, 0);
          for (guint k = 0; k < all->len; k++)
            {
              g_array_append_val (fresh, g_array_index (all, PigeonListRow, k));
              emit_path (self, PIGEON_LIST_EDIT_INSERT, pos, k);
            }
        }
    }
  set_iter (self, &iter, pos, -1);
  if (had_child != model_iter_has_child (GTK_TREE_MODEL (self), &iter))
    {
      g_autoptr(GtkTreePath) path = gtk_tree_path_new_from_indices (pos, -1);

      gtk_tree_model_row_has_child_toggled (GTK_TREE_MODEL (self), path, &iter);
    }
}

static void
forget_thread (PigeonMessageListModel *self,
               const PigeonListRow    *row)
{
  if (self->threaded)
    g_hash_table_remove (source_of (self, row)->threads, &row->thread_id);
}

static void
apply_edits (PigeonMessageListModel *self,
             PigeonListRows         *next,
             GArray                 *edits)
{
  self->next = next;
  self->apply_i = 0;
  self->apply_j = 0;
  self->applying = TRUE;

  for (guint e = 0; e < edits->len; e++)
    {
      const PigeonListEdit *edit = &g_array_index (edits, PigeonListEdit, e);

      if (edit->kind == PIGEON_LIST_EDIT_KEEP)
        {
          self->apply_i += edit->n;
          self->apply_j += edit->n;
          continue;
        }
      for (guint k = 0; k < edit->n; k++)
        switch (edit->kind)
          {
          case PIGEON_LIST_EDIT_CHANGE:
            {
              gboolean had_child = g_array_index (self->list->rows, PigeonListRow,
                                                  self->apply_i).count > 1;

              self->apply_i++;
              self->apply_j++;
              emit_path (self, PIGEON_LIST_EDIT_CHANGE, self->apply_j - 1, -1);
              if (self->threaded)
                refresh_children (self, self->apply_j - 1, had_child);
            }
            break;
          case PIGEON_LIST_EDIT_DELETE:
            forget_thread (self, &g_array_index (self->list->rows, PigeonListRow,
                                                 self->apply_i));
            self->apply_i++;
            emit_path (self, PIGEON_LIST_EDIT_DELETE, self->apply_j, -1);
            break;
          case PIGEON_LIST_EDIT_INSERT:
            forget_thread (self, &g_array_index (next->rows, PigeonListRow, self->apply_j));
            self->apply_j++;
            emit_path (self, PIGEON_LIST_EDIT_INSERT, self->apply_j - 1, -1);
            break;
          default:
            g_assert_not_reached ();
          }
    }

  g_assert (self->apply_i == self->list->rows->len && self->apply_j == next->rows->len);
  self->applying = FALSE;
  self->next = NULL;
  pigeon_list_rows_free (self->list);
  self->list = next;
}

/* ------------------------------------------------------------------ loading */

static void
refresh_now (PigeonMessageListModel *self)
{
  g_clear_pointer (&self->now, g_date_time_unref);
  self->now = g_date_time_new_now_local ();
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  PigeonListLoad *load = task_data;
  GError *error = NULL;

  if (!pigeon_list_load_run (load, cancellable, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/*
 * GtkTreeView makes a node for every row of a model it is given before it draws one: at a
 * million rows that is most of half a second.  So a big first load is given to the view
 * as its top REVEAL_FIRST rows, drawn at once, and the rest follows in slices of
 * REVEAL_SLICE rows at idle priority (input and drawing first) as ordinary row-inserted
 * signals.  Reloads wait until all of it is revealed; a row asked for by id is revealed
 * with the rows above it at once.
 */
#define REVEAL_FIRST 2000
#define REVEAL_SLICE 10000

static void
reveal_to (PigeonMessageListModel *self,
           guint                   end)
{
  end = MIN (end, self->list->rows->len);
  while (self->revealed < end)
    {
      self->revealed++;
      emit_path (self, PIGEON_LIST_EDIT_INSERT, self->revealed - 1, -1);
    }
}

static void
reveal_done (PigeonMessageListModel *self)
{
  self->revealing = FALSE;
  g_clear_handle_id (&self->reveal_source, g_source_remove);
  if (self->reload_wanted)
    {
      self->reload_wanted = FALSE;
      start_load (self);
    }
}

static gboolean
reveal_cb (gpointer user_data)
{
  PigeonMessageListModel *self = user_data;
  gint64 start = g_get_monotonic_time ();

  reveal_to (self, self->revealed + REVEAL_SLICE);
  self->reveal_longest = MAX (self->reveal_longest, g_get_monotonic_time () - start);
  if (self->revealed < self->list->rows->len)
    return G_SOURCE_CONTINUE;
  g_log ("pigeon-bench", G_LOG_LEVEL_DEBUG, "all %u rows revealed %.1f ms after the first, "
         "in slices of %u rows taking at most %.1f ms", self->revealed,
         (g_get_monotonic_time () - self->reveal_started) / 1000.0, REVEAL_SLICE,
         self->reveal_longest / 1000.0);
  self->reveal_source = 0;
  reveal_done (self);
  return G_SOURCE_REMOVE;
}

static void
load_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  PigeonMessageListModel *self = PIGEON_MESSAGE_LIST_MODEL (object);
  PigeonListLoad *load = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  gboolean first = !self->loaded;

  self->loading = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_warning ("Could not read the message list: %s", error->message);
      if (first)
        {
          g_clear_error (&self->error);
          self->error = g_steal_pointer (&error);
          self->list = pigeon_list_rows_new ();
          self->loaded = TRUE;
          g_signal_emit (self, signals[SIGNAL_LOADED], 0);
        }
      return;
    }

  refresh_now (self);
  if (first)
    {
      self->list = g_steal_pointer (&load->rows);
      self->loaded = TRUE;
      self->stamp++;
      if (self->list->rows->len > REVEAL_FIRST)
        {
          self->revealing = TRUE;
          self->revealed = REVEAL_FIRST;
          self->reveal_started = g_get_monotonic_time ();
          self->reveal_longest = 0;
          self->reveal_source = g_idle_add (reveal_cb, self);
          g_source_set_name_by_id (self->reveal_source, "[pigeon] message list reveal");
        }
      g_signal_emit (self, signals[SIGNAL_LOADED], 0);
    }
  else
    {
      apply_edits (self, g_steal_pointer (&load->rows), load->edits);
      g_signal_emit (self, signals[SIGNAL_RELOADED], 0);
    }

  if (self->reload_wanted)
    {
      self->reload_wanted = FALSE;
      start_load (self);
    }
}

static void
start_load (PigeonMessageListModel *self)
{
  g_autoptr(GTask) task = NULL;
  PigeonListLoad *load;

  if (self->loading || self->revealing)
    {
      self->reload_wanted = TRUE;
      return;
    }
  load = g_new0 (PigeonListLoad, 1);
  load->sources = g_array_new (FALSE, FALSE, sizeof (PigeonListSource));
  for (guint i = 0; i < self->sources->len; i++)
    {
      Source *source = g_ptr_array_index (self->sources, i);
      PigeonListSource s = { g_object_ref (source->store), source->folder_id,
                             source->ids != NULL ? g_array_ref (source->ids) : NULL,
                             source->recipients };

      g_array_append_val (load->sources, s);
    }
  load->sort = self->sort;
  load->threaded = self->threaded;
  load->search = g_strdup (self->search);
  /* The model changes this list only when a load finishes, and one runs at a time. */
  load->old = self->loaded ? self->list : NULL;

  self->loading = TRUE;
  task = g_task_new (self, self->cancellable, load_done_cb, NULL);
  g_task_set_source_tag (task, start_load);
  g_task_set_task_data (task, load, (GDestroyNotify) pigeon_list_load_free);
  g_task_run_in_thread (task, load_thread);
}

static gboolean
reload_timeout_cb (gpointer user_data)
{
  PigeonMessageListModel *self = user_data;

  self->reload_source = 0;
  start_load (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reload (PigeonMessageListModel *self)
{
  if (self->reload_source != 0 || !self->loaded)
    {
      if (!self->loaded)
        self->reload_wanted = TRUE;
      return;
    }
  self->reload_source = g_timeout_add (RELOAD_DELAY_MS, reload_timeout_cb, self);
  g_source_set_name_by_id (self->reload_source, "[pigeon] message list reload");
}

/* Rows whose flags changed are redrawn at once; the order waits for the reload. */
static void
refresh_updated (PigeonMessageListModel *self,
                 guint                   source_index,
                 GArray                 *updated)
{
  Source *source = g_ptr_array_index (self->sources, source_index);
  g_autoptr(GHashTable) ids = g_hash_table_new (g_int64_hash, g_int64_equal);
  guint total;

  for (guint i = 0; i < updated->len; i++)
    {
      g_hash_table_remove (source->rows, &g_array_index (updated, gint64, i));
      g_hash_table_add (ids, &g_array_index (updated, gint64, i));
    }
  if (!self->loaded)
    return;
  total = n_rows (self);
  for (guint pos = 0; pos < total; pos++)
    {
      const PigeonListRow *row = row_at (self, pos);

      if (row->source == source_index && g_hash_table_contains (ids, &row->id))
        emit_path (self, PIGEON_LIST_EDIT_CHANGE, pos, -1);
      if (self->threaded && row->source == source_index && row->count > 1)
        {
          GArray *children = g_hash_table_lookup (source->threads, &row->thread_id);

          for (guint k = 0; children != NULL && k < children->len; k++)
            if (g_hash_table_contains (ids, &g_array_index (children, PigeonListRow, k).id))
              emit_path (self, PIGEON_LIST_EDIT_CHANGE, pos, k);
        }
    }
}

static void
messages_changed_cb (PigeonStore       *store,
                     PigeonStoreChange *change,
                     Source            *source)
{
  PigeonMessageListModel *self = source->model;

  if (source->folder_id != 0 && change->folder_id != source->folder_id)
    return;

  if (change->updated != NULL && change->updated->len > 0)
    refresh_updated (self, source->index, change->updated);
  if ((change->added != NULL && change->added->len > 0) ||
      (change->removed != NULL && change->removed->len > 0) ||
      (self->threaded && change->updated != NULL && change->updated->len > 0))
    schedule_reload (self);
}

/* ------------------------------------------------------------------ GObject */

static void
pigeon_message_list_model_dispose (GObject *object)
{
  PigeonMessageListModel *self = (PigeonMessageListModel *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->reload_source, g_source_remove);
  g_clear_handle_id (&self->reveal_source, g_source_remove);
  /* Disconnects from the stores. */
  if (self->sources != NULL)
    g_ptr_array_set_size (self->sources, 0);

  G_OBJECT_CLASS (pigeon_message_list_model_parent_class)->dispose (object);
}

static void
pigeon_message_list_model_finalize (GObject *object)
{
  PigeonMessageListModel *self = (PigeonMessageListModel *) object;

  g_clear_pointer (&self->sources, g_ptr_array_unref);
  g_clear_pointer (&self->list, pigeon_list_rows_free);
  g_clear_pointer (&self->search, g_free);
  g_clear_pointer (&self->now, g_date_time_unref);
  g_clear_error (&self->error);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (pigeon_message_list_model_parent_class)->finalize (object);
}

static void
pigeon_message_list_model_class_init (PigeonMessageListModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pigeon_message_list_model_dispose;
  object_class->finalize = pigeon_message_list_model_finalize;

  signals[SIGNAL_LOADED] =
    g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_RELOADED] =
    g_signal_new ("reloaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
}

static void
pigeon_message_list_model_init (PigeonMessageListModel *self)
{
  self->sources = g_ptr_array_new_with_free_func (source_free);
  self->cancellable = g_cancellable_new ();
  self->stamp = g_random_int ();
  refresh_now (self);
}

PigeonMessageListModel *
pigeon_message_list_model_new (PigeonListSort  sort,
                               gboolean        threaded,
                               const char     *search)
{
  PigeonMessageListModel *self = g_object_new (PIGEON_TYPE_MESSAGE_LIST_MODEL, NULL);

  self->sort = sort;
  self->search = (search != NULL && *search != '\0') ? g_strdup (search) : NULL;
  /* Search results are a flat list. */
  self->threaded = threaded && self->search == NULL;
  return self;
}

static Source *
add_source (PigeonMessageListModel *self,
            PigeonSession          *session,
            gint64                  folder_id)
{
  PigeonStore *store;
  Source *source;

  g_return_val_if_fail (PIGEON_IS_MESSAGE_LIST_MODEL (self), NULL);
  g_return_val_if_fail (PIGEON_IS_SESSION (session), NULL);
  g_return_val_if_fail (!self->loaded && !self->loading, NULL);

  store = pigeon_session_get_store (session);
  g_return_val_if_fail (store != NULL, NULL);

  source = g_new0 (Source, 1);
  source->model = self;
  source->index = self->sources->len;
  source->session = g_object_ref (session);
  source->store = g_object_ref (store);
  source->folder_id = folder_id;
  if (folder_id != 0)
    {
      g_autoptr(PigeonFolder) folder = pigeon_store_get_folder (store, folder_id, NULL);

      source->recipients = folder != NULL && (folder->role == PIGEON_FOLDER_ROLE_SENT ||
                                              folder->role == PIGEON_FOLDER_ROLE_DRAFTS);
    }
  source->rows = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, row_data_free);
  source->threads = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                           (GDestroyNotify) g_array_unref);
  g_ptr_array_add (self->sources, source);

  g_signal_connect (store, "messages-changed", G_CALLBACK (messages_changed_cb), source);
  return source;
}

void
pigeon_message_list_model_add_source (PigeonMessageListModel *self,
                                      PigeonSession          *session,
                                      gint64                  folder_id)
{
  add_source (self, session, folder_id);
}

void
pigeon_message_list_model_add_source_ids (PigeonMessageListModel *self,
                                          PigeonSession          *session,
                                          const gint64           *ids,
                                          guint                   n_ids)
{
  Source *source = add_source (self, session, 0);

  if (source == NULL)
    return;
  source->ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n_ids);
  g_array_append_vals (source->ids, ids, n_ids);
}

void
pigeon_message_list_model_load (PigeonMessageListModel *self)
{
  g_return_if_fail (PIGEON_IS_MESSAGE_LIST_MODEL (self));
  g_return_if_fail (!self->loaded && !self->loading);

  start_load (self);
}

gboolean
pigeon_message_list_model_is_loaded (PigeonMessageListModel *self)
{
  g_return_val_if_fail (PIGEON_IS_MESSAGE_LIST_MODEL (self), FALSE);
  return self->loaded;
}

const GError *
pigeon_message_list_model_get_error (PigeonMessageListModel *self)
{
  g_return_val_if_fail (PIGEON_IS_MESSAGE_LIST_MODEL (self), NULL);
  return self->error;
}

gboolean
pigeon_message_list_model_get_threaded (PigeonMessageListModel *self)
{
  g_return_val_if_fail (PIGEON_IS_MESSAGE_LIST_MODEL (self), FALSE);
  return self->threaded;
}

const char *
pigeon_message_list_model_get_search (PigeonMessageListModel *self)
{
  g_return_val_if_fail (PIGEON_IS_MESSAGE_LIST_MODEL (self), NULL);
  return self->search;
}

guint
pigeon_message_list_model_get_n_sources (PigeonMessageListModel *self)
{
  g_return_val_if_fail (PIGEON_IS_MESSAGE_LIST_MODEL (self), 0);
  return self->sources->len;
}

PigeonSession *
pigeon_message_list_model_get_session (PigeonMessageListModel *self,
                                       guint                   source)
{
  g_return_val_if_fail (PIGEON_IS_MESSAGE_LIST_MODEL (self), NULL);
  g_return_val_if_fail (source < self->sources->len, NULL);
  return ((Source *) g_ptr_array_index (self->sources, source))->session;
}

gint64
pigeon_message_list_model_get_folder_id (PigeonMessageListModel *self,
                                         guint                   source)
{
  g_return_val_if_fail (PIGEON_IS_MESSAGE_LIST_MODEL (self), 0);
  g_return_val_if_fail (source < self->sources->len, 0);
  return ((Source *) g_ptr_array_index (self->sources, source))->folder_id;
}

guint
pigeon_message_list_model_get_n_rows (PigeonMessageListModel *self)
{
  g_return_val_if_fail (PIGEON_IS_MESSAGE_LIST_MODEL (self), 0);
  return n_rows (self);
}

guint
pigeon_message_list_model_get_n_loaded (PigeonMessageListModel *self)
{
  g_return_val_if_fail (PIGEON_IS_MESSAGE_LIST_MODEL (self), 0);
  return self->list != NULL && !self->applying ? self->list->rows->len : n_rows (self);
}

gboolean
pigeon_message_list_model_get_revealing (PigeonMessageListModel *self)
{
  g_return_val_if_fail (PIGEON_IS_MESSAGE_LIST_MODEL (self), FALSE);
  return self->revealing;
}

gboolean
pigeon_message_list_model_get_message (PigeonMessageListModel *self,
                                       GtkTreeIter            *iter,
                                       guint                  *source,
                                       gint64                 *id)
{
  const PigeonListRow *row;

  g_return_val_if_fail (PIGEON_IS_MESSAGE_LIST_MODEL (self), FALSE);
  g_return_val_if_fail (iter_is_valid (self, iter), FALSE);

  row = iter_row (self, iter, NULL);
  if (row == NULL)
    return FALSE;
  if (source != NULL)
    *source = row->source;
  if (id != NULL)
    *id = row->id;
  return TRUE;
}

void
pigeon_message_list_model_collect_ids (PigeonMessageListModel *self,
                                       GtkTreeIter            *iter,
                                       guint                  *source,
                                       GArray                 *ids)
{
  const PigeonListRow *row;

  g_return_if_fail (PIGEON_IS_MESSAGE_LIST_MODEL (self));
  g_return_if_fail (iter_is_valid (self, iter));

  row = iter_row (self, iter, NULL);
  if (row == NULL)
    return;
  *source = row->source;
  if (ITER_CHILD (iter) < 0 && row->count > 1)
    {
      GArray *children = children_of (self, ITER_POS (iter));

      for (guint k = 0; children != NULL && k < children->len; k++)
        g_array_append_val (ids, g_array_index (children, PigeonListRow, k).id);
      return;
    }
  g_array_append_val (ids, row->id);
}

gboolean
pigeon_message_list_model_find (PigeonMessageListModel *self,
                                guint                   source,
                                gint64                  id,
                                GtkTreeIter            *iter)
{
  guint total;

  g_return_val_if_fail (PIGEON_IS_MESSAGE_LIST_MODEL (self), FALSE);

  /* rows not revealed yet count too: the one asked for is revealed at once */
  total = self->list != NULL && !self->applying ? self->list->rows->len : n_rows (self);
  for (guint pos = 0; pos < total; pos++)
    {
      const PigeonListRow *row = row_at (self, pos);

      if (row->id == id && row->source == source)
        {
          if (self->revealing && pos >= self->revealed)
            reveal_to (self, pos + 1);
          set_iter (self, iter, pos, -1);
          return TRUE;
        }
    }
  return FALSE;
}

char *
pigeon_message_list_format_date (gint64     date,
                                 GDateTime *now)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;
  int days;

  if (date <= 0)
    return g_strdup ("");
  utc = g_date_time_new_from_unix_utc (date);
  if (utc == NULL)
    return g_strdup ("");
  local = g_date_time_to_local (utc);

  days = g_date_time_get_day_of_year (now) - g_date_time_get_day_of_year (local);
  if (g_date_time_get_year (now) != g_date_time_get_year (local))
    days = (int) (g_date_time_difference (now, local) / G_TIME_SPAN_DAY) + 1;
  if (days == 0 && g_date_time_compare (local, now) <= 0)
    /* Translators: a time of today in the message list; see g_date_time_format. */
    return g_date_time_format (local, _("%H:%M"));
  if (days == 1)
    return g_strdup (_("Yesterday"));
  if (days > 1 && days < 7)
    return g_date_time_format (local, "%a");
  if (g_date_time_get_year (now) == g_date_time_get_year (local))
    /* Translators: a day of this year in the message list; see g_date_time_format. */
    return g_date_time_format (local, _("%-e %b"));
  return g_date_time_format (local, "%x");
}
