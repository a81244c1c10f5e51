/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <string.h>

#include "pigeon-composer-address.h"
#include "pigeon-mime.h"
#include "pigeon-store-outbox.h"

#define DATA_KEY    "pigeon-composer-address"
/* GtkEntryCompletion looks at the model 300 ms after a key: the suggestions must be there
 * by then. */
#define DEBOUNCE_MS 40
#define SHOWN       8

enum {
  COLUMN_DISPLAY,
  COLUMN_INSERT,
  N_COLUMNS
};

typedef struct
{
  GtkEntry *entry;                /* not owned: this lives as the entry's data */
  PigeonApplication *app;
  GtkEntryCompletion *completion;
  GtkListStore *model;
  GCancellable *cancellable;
  guint timeout_id;
  gboolean replacing;
} Completion;

static void
completion_free (gpointer data)
{
  Completion *c = data;

  g_clear_handle_id (&c->timeout_id, g_source_remove);
  if (c->cancellable != NULL)
    g_cancellable_cancel (c->cancellable);
  g_clear_object (&c->cancellable);
  g_clear_object (&c->completion);
  g_clear_object (&c->model);
  g_clear_object (&c->app);
  g_free (c);
}

/* Where the address being typed starts: after the last separator outside quotes. */
static gsize
token_start (const char *text)
{
  gboolean quoted = FALSE;
  gsize start = 0;

  for (gsize i = 0; text[i] != '\0'; i++)
    {
      if (text[i] == '"')
        quoted = !quoted;
      else if (!quoted && (text[i] == ',' || text[i] == ';'))
        start = i + 1;
    }
  while (text[start] == ' ')
    start++;
  return start;
}

typedef struct
{
  char *prefix;
  GPtrArray *stores;     /* PigeonStore */
} Query;

static void
query_free (gpointer data)
{
  Query *q = data;

  g_free (q->prefix);
  g_ptr_array_unref (q->stores);
  g_free (q);
}

static int
by_score (gconstpointer a,
          gconstpointer b)
{
  const PigeonAddressSuggestion *sa = *(PigeonAddressSuggestion * const *) a;
  const PigeonAddressSuggestion *sb = *(PigeonAddressSuggestion * const *) b;

  return sa->score == sb->score ? g_strcmp0 (sa->email, sb->email)
                                : (sa->score > sb->score ? -1 : 1);
}

/* Every account's suggestions, merged by address. */
static void
query_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Query *q = task_data;
  g_autoptr(GHashTable) merged = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                   pigeon_address_suggestion_free);

  for (guint i = 0; i < q->stores->len; i++)
    {
      g_autoptr(GPtrArray) found = pigeon_store_suggest_addresses (g_ptr_array_index (q->stores,
                                                                                      i),
                                                                   q->prefix, SHOWN, NULL);

      for (guint j = 0; found != NULL && j < found->len; j++)
        {
          PigeonAddressSuggestion *s = g_ptr_array_index (found, j);
          PigeonAddressSuggestion *known = g_hash_table_lookup (merged, s->email);

          if (known != NULL)
            {
              known->score += s->score;
              continue;
            }
          g_ptr_array_add (out, g_steal_pointer (&found->pdata[j]));
          g_hash_table_insert (merged, s->email, s);
        }
    }
  g_ptr_array_sort (out, by_score);
  if (out->len > SHOWN)
    g_ptr_array_set_size (out, SHOWN);
  g_task_return_pointer (task, out, (GDestroyNotify) g_ptr_array_unref);
}

static char *
format_address (const PigeonAddressSuggestion *s)
{
  g_autoptr(InternetAddress) mailbox = internet_address_mailbox_new (s->name, s->email);

  return internet_address_to_string (mailbox, NULL, FALSE);
}

static void
query_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Completion *c = user_data;
  g_autoptr(GPtrArray) found = g_task_propagate_pointer (G_TASK (result), NULL);

  /* Cancelled (the entry is gone, or a newer query runs): nothing to show. */
  if (found == NULL)
    return;
  gtk_list_store_clear (c->model);
  for (guint i = 0; i < found->len; i++)
    {
      g_autofree char *text = format_address (g_ptr_array_index (found, i));

      gtk_list_store_insert_with_values (c->model, NULL, -1, COLUMN_DISPLAY, text,
                                         COLUMN_INSERT, text, -1);
    }
  gtk_entry_completion_complete (c->completion);
}

static gboolean
query_cb (gpointer user_data)
{
  Completion *c = user_data;
  const char *text = gtk_entry_get_text (c->entry);
  const char *token = text + token_start (text);
  GListModel *accounts = G_LIST_MODEL (pigeon_application_get_manager (c->app));
  g_autoptr(GTask) task = NULL;
  Query *q;

  c->timeout_id = 0;
  if (c->cancellable != NULL)
    g_cancellable_cancel (c->cancellable);
  g_clear_object (&c->cancellable);
  if (strlen (token) < 1 || strchr (token, '<') != NULL)
    {
      gtk_list_store_clear (c->model);
      return G_SOURCE_REMOVE;
    }

  q = g_new0 (Query, 1);
  q->prefix = g_strdup (token);
  q->stores = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr(PigeonAccount) account = g_list_model_get_item (accounts, i);
      PigeonSession *session = pigeon_application_get_session (c->app, account);

      if (session != NULL && pigeon_session_get_store (session) != NULL)
        g_ptr_array_add (q->stores, g_object_ref (pigeon_session_get_store (session)));
    }
  c->cancellable = g_cancellable_new ();
  task = g_task_new (NULL, c->cancellable, query_done_cb, c);
  g_task_set_source_tag (task, query_cb);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_set_task_data (task, q, query_free);
  g_task_run_in_thread (task, query_thread);
  return G_SOURCE_REMOVE;
}

static void
changed_cb (GtkEditable *editable,
            Completion  *c)
{
  if (c->replacing)
    return;
  g_clear_handle_id (&c->timeout_id, g_source_remove);
  c->timeout_id = g_timeout_add (DEBOUNCE_MS, query_cb, c);
}

/* The model holds only matches already: show every row. */
static gboolean
match_cb (GtkEntryCompletion *completion,
          const char         *key,
          GtkTreeIter        *iter,
          gpointer            user_data)
{
  return TRUE;
}

static gboolean
match_selected_cb (GtkEntryCompletion *completion,
                   GtkTreeModel       *model,
                   GtkTreeIter        *iter,
                   Completion         *c)
{
  g_autofree char *chosen = NULL;
  g_autofree char *before = NULL;
  g_autofree char *text = NULL;
  const char *current = gtk_entry_get_text (c->entry);

  gtk_tree_model_get (model, iter, COLUMN_INSERT, &chosen, -1);
  before = g_strndup (current, token_start (current));
  g_strchomp (before);
  if (*before != '\0')
    text = g_strdup_printf ("%s %s, ", before, chosen);
  else
    text = g_strdup_printf ("%s, ", chosen);
  c->replacing = TRUE;
  gtk_entry_set_text (c->entry, text);
  gtk_editable_set_position (GTK_EDITABLE (c->entry), -1);
  c->replacing = FALSE;
  gtk_list_store_clear (c->model);
  return TRUE;
}

void
pigeon_composer_address_attach (GtkEntry          *entry,
                                PigeonApplication *app)
{
  Completion *c;

  g_return_if_fail (GTK_IS_ENTRY (entry));
  g_return_if_fail (PIGEON_IS_APPLICATION (app));

  c = g_new0 (Completion, 1);
  c->entry = entry;
  c->app = g_object_ref (app);
  c->model = gtk_list_store_new (N_COLUMNS, G_TYPE_STRING, G_TYPE_STRING);
  c->completion = gtk_entry_completion_new ();
  gtk_entry_completion_set_model (c->completion, GTK_TREE_MODEL (c->model));
  gtk_entry_completion_set_text_column (c->completion, COLUMN_DISPLAY);
  gtk_entry_completion_set_match_func (c->completion, match_cb, NULL, NULL);
  gtk_entry_completion_set_minimum_key_length (c->completion, 1);
  gtk_entry_completion_set_popup_single_match (c->completion, TRUE);
  gtk_entry_completion_set_inline_completion (c->completion, FALSE);
  g_signal_connect (c->completion, "match-selected", G_CALLBACK (match_selected_cb), c);
  gtk_entry_set_completion (entry, c->completion);
  g_signal_connect (entry, "changed", G_CALLBACK (changed_cb), c);
  g_object_set_data_full (G_OBJECT (entry), DATA_KEY, c, completion_free);
}
