/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "pigeon-message-list-private.h"

/* Per store, at most this many search results. */
#define SEARCH_LIMIT 5000

PigeonListRows *
pigeon_list_rows_new (void)
{
  PigeonListRows *rows = g_new0 (PigeonListRows, 1);

  rows->rows = g_array_new (FALSE, FALSE, sizeof (PigeonListRow));
  rows->strings = g_string_chunk_new (4096);
  return rows;
}

void
pigeon_list_rows_free (PigeonListRows *rows)
{
  if (rows == NULL)
    return;
  g_array_unref (rows->rows);
  g_string_chunk_free (rows->strings);
  g_free (rows);
}

gboolean
pigeon_list_row_same (const PigeonListRow *a,
                      const PigeonListRow *b)
{
  return a->id == b->id && a->source == b->source && a->date == b->date &&
         g_strcmp0 (a->key, b->key) == 0;
}

int
pigeon_list_row_compare (const PigeonListRow *a,
                         const PigeonListRow *b,
                         PigeonListSort       sort)
{
  if (sort == PIGEON_LIST_SORT_SENDER)
    {
      int c = strcmp (a->key ? a->key : "", b->key ? b->key : "");

      if (c != 0)
        return c;
    }
  if (a->date != b->date)
    return a->date > b->date ? -1 : 1;
  if (a->source != b->source)
    return a->source < b->source ? -1 : 1;
  if (a->id != b->id)
    return a->id > b->id ? -1 : 1;
  return 0;
}

static int
compare_rows_cb (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  return pigeon_list_row_compare (a, b, GPOINTER_TO_INT (user_data));
}

char *
pigeon_list_sender_name (const char *from)
{
  const char *lt;
  g_autofree char *name = NULL;

  if (from == NULL || *from == '\0')
    return g_strdup ("");
  lt = strrchr (from, '<');
  if (lt == NULL)
    return g_strstrip (g_strdup (from));
  name = g_strstrip (g_strndup (from, lt - from));
  if (name[0] == '"')
    {
      gsize len = strlen (name);

      memmove (name, name + 1, len);
      len--;
      if (len > 0 && name[len - 1] == '"')
        name[len - 1] = '\0';
    }
  if (*name != '\0')
    return g_steal_pointer (&name);
  /* "<addr>": the address. */
  {
    const char *gt = strchr (lt, '>');

    return g_strndup (lt + 1, gt ? (gsize) (gt - lt - 1) : strlen (lt + 1));
  }
}

void
pigeon_list_load_free (PigeonListLoad *load)
{
  if (load->sources != NULL)
    {
      for (guint i = 0; i < load->sources->len; i++)
        {
          PigeonListSource *source = &g_array_index (load->sources, PigeonListSource, i);

          g_object_unref (source->store);
          g_clear_pointer (&source->ids, g_array_unref);
        }
      g_array_unref (load->sources);
    }
  g_free (load->search);
  pigeon_list_rows_free (load->rows);
  g_clear_pointer (&load->edits, g_array_unref);
  g_free (load);
}

char *
pigeon_list_row_name (const char *field,
                      gboolean    recipients)
{
  g_autoptr(GString) names = NULL;
  const char *p = field;

  if (!recipients)
    return pigeon_list_sender_name (field);
  names = g_string_new (NULL);
  /* "Name <a>, \"Doe, Jane\" <b>": commas inside quotes or angle brackets part nothing */
  while (p != NULL && *p != '\0')
    {
      const char *start = p;
      gboolean quoted = FALSE, angled = FALSE;
      g_autofree char *one = NULL, *name = NULL;

      for (; *p != '\0'; p++)
        {
          if (*p == '"' && !angled)
            quoted = !quoted;
          else if (*p == '<' && !quoted)
            angled = TRUE;
          else if (*p == '>' && !quoted)
            angled = FALSE;
          else if (*p == ',' && !quoted && !angled)
            break;
        }
      one = g_strndup (start, p - start);
      name = pigeon_list_sender_name (one);
      if (*name != '\0')
        g_string_append_printf (names, "%s%s", names->len > 0 ? ", " : "", name);
      if (*p == ',')
        p++;
    }
  if (names->len == 0)
    return g_strdup (_("To: (no recipient)"));
  /* TRANSLATORS: in the message list of Sent and Drafts, in the sender's place */
  return g_strdup_printf (_("To: %s"), names->str);
}

static void
append_source (PigeonListLoad *load,
               guint           source,
               GArray         *entries,
               GStringChunk   *senders)
{
  gboolean by_sender = load->sort == PIGEON_LIST_SORT_SENDER;
  gboolean recipients = g_array_index (load->sources, PigeonListSource, source).recipients;

  for (guint i = 0; i < entries->len; i++)
    {
      const PigeonListEntry *e = &g_array_index (entries, PigeonListEntry, i);
      PigeonListRow row = { 0 };

      row.id = e->id;
      row.date = e->date;
      row.thread_id = e->thread_id;
      row.count = e->count;
      row.unread = e->unread;
      row.source = source;
      if (by_sender)
        {
          g_autofree char *name = pigeon_list_row_name (e->sender, recipients);
          g_autofree char *folded = g_utf8_casefold (name, -1);
          g_autofree char *key = g_utf8_collate_key (folded, -1);

          row.key = g_string_chunk_insert_const (load->rows->strings, key);
        }
      g_array_append_val (load->rows->rows, row);
    }
}

/* The rows behind IDS that are still in the store, as search entries. */
static GArray *
entries_for_ids (PigeonStore   *store,
                 GArray        *ids,
                 GStringChunk  *senders,
                 GError       **error)
{
  g_autoptr(GPtrArray) found = pigeon_store_get_messages (store,
                                                          (const gint64 *) (gpointer) ids->data,
                                                          ids->len, error);
  GArray *entries;

  if (found == NULL)
    return NULL;
  entries = g_array_sized_new (FALSE, FALSE, sizeof (PigeonListEntry), found->len);
  for (guint i = 0; i < found->len; i++)
    {
      const PigeonMessage *message = g_ptr_array_index (found, i);
      PigeonListEntry entry = { 0 };

      entry.id = message->id;
      entry.date = message->date;
      entry.thread_id = message->thread_id;
      entry.count = 1;
      entry.unread = (message->flags & PIGEON_MESSAGE_FLAG_SEEN) == 0;
      if (senders != NULL)
        entry.sender = g_string_chunk_insert_const (senders, message->from ? message->from : "");
      g_array_append_val (entries, entry);
    }
  return entries;
}

gboolean
pigeon_list_load_run (PigeonListLoad *load,
                      GCancellable   *cancellable,
                      GError        **error)
{
  gboolean by_sender = load->sort == PIGEON_LIST_SORT_SENDER;
  gboolean sorted = !by_sender && load->sources->len == 1 &&
                    g_array_index (load->sources, PigeonListSource, 0).ids == NULL;

  load->rows = pigeon_list_rows_new ();
  for (guint i = 0; i < load->sources->len; i++)
    {
      const PigeonListSource *source = &g_array_index (load->sources, PigeonListSource, i);
      GStringChunk *senders = by_sender ? g_string_chunk_new (4096) : NULL;
      g_autoptr(GArray) entries = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          g_clear_pointer (&senders, g_string_chunk_free);
          return FALSE;
        }
      if (source->ids != NULL)
        entries = entries_for_ids (source->store, source->ids, senders, error);
      else if (load->search != NULL)
        entries = pigeon_store_search_entries (source->store, load->search, source->folder_id,
                                               SEARCH_LIMIT, senders, error);
      else
        entries = pigeon_store_list_entries (source->store, source->folder_id,
                                             (load->threaded ? PIGEON_LIST_THREADED : 0) |
                                             (by_sender ? PIGEON_LIST_WITH_SENDER : 0) |
                                             (source->recipients ? PIGEON_LIST_RECIPIENTS : 0),
                                             senders, error);
      if (entries != NULL)
        append_source (load, i, entries, senders);
      g_clear_pointer (&senders, g_string_chunk_free);
      if (entries == NULL)
        return FALSE;
    }

  /* One source by date comes out of SQLite in order already. */
  if (!sorted)
    g_array_sort_with_data (load->rows->rows, compare_rows_cb, GINT_TO_POINTER (load->sort));

  if (load->old != NULL)
    load->edits = pigeon_list_diff (load->old, load->rows, load->sort);
  return TRUE;
}

static void
push_edit (GArray            *edits,
           PigeonListEditKind kind)
{
  if (edits->len > 0)
    {
      PigeonListEdit *last = &g_array_index (edits, PigeonListEdit, edits->len - 1);

      if (last->kind == kind)
        {
          last->n++;
          return;
        }
    }
  {
    PigeonListEdit edit = { kind, 1 };

    g_array_append_val (edits, edit);
  }
}

/*
 * Both lists are in one total order, so one merge pass finds what went and what came: a
 * row in both at the same key is kept; a row whose key changed (a conversation with a new
 * message, a date corrected) leaves its old place and enters its new one.
 */
GArray *
pigeon_list_diff (const PigeonListRows *old,
                  const PigeonListRows *new_rows,
                  PigeonListSort        sort)
{
  GArray *edits = g_array_new (FALSE, FALSE, sizeof (PigeonListEdit));
  const PigeonListRow *a = (const PigeonListRow *) (gpointer) old->rows->data;
  const PigeonListRow *b = (const PigeonListRow *) (gpointer) new_rows->rows->data;
  guint n_a = old->rows->len;
  guint n_b = new_rows->rows->len;
  guint i = 0, j = 0;

  while (i < n_a || j < n_b)
    {
      if (i < n_a && j < n_b && pigeon_list_row_same (&a[i], &b[j]))
        {
          gboolean changed = a[i].count != b[j].count || a[i].unread != b[j].unread ||
                             a[i].thread_id != b[j].thread_id;

          push_edit (edits, changed ? PIGEON_LIST_EDIT_CHANGE : PIGEON_LIST_EDIT_KEEP);
          i++;
          j++;
        }
      else if (j == n_b || (i < n_a && pigeon_list_row_compare (&a[i], &b[j], sort) < 0))
        {
          push_edit (edits, PIGEON_LIST_EDIT_DELETE);
          i++;
        }
      else
        {
          push_edit (edits, PIGEON_LIST_EDIT_INSERT);
          j++;
        }
    }
  return edits;
}
