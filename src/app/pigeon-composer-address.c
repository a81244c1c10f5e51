/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <gdk/gdkkeysyms.h>
#include <string.h>

#include "pigeon-composer-address.h"
#include "pigeon-mime.h"
#include "pigeon-store-outbox.h"

#define DATA_KEY    "pigeon-composer-address"
#define DEBOUNCE_MS 80
#define SHOWN       8

/*
 * The suggestions show in a popover under the field that takes neither the keyboard nor
 * the pointer: typing goes on in the field, Up and Down pick a suggestion, Enter or Tab
 * takes it, Escape closes the list.  (GtkEntryCompletion grabs the pointer for its popup,
 * which some sessions refuse, and then it shows nothing at all.)
 */
typedef struct
{
  GtkEntry *entry;                /* not owned: this lives as the entry's data */
  PigeonApplication *app;
  GtkPopover *popover;
  GtkListBox *list;
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

/* ------------------------------------------------------------------ the query */

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
      PigeonStore *store = g_ptr_array_index (q->stores, i);
      g_autoptr(GPtrArray) found = pigeon_store_suggest_addresses (store, q->prefix, SHOWN, NULL);

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
clear_list (Completion *c)
{
  g_autoptr(GList) rows = gtk_container_get_children (GTK_CONTAINER (c->list));

  for (GList *l = rows; l; l = l->next)
    gtk_widget_destroy (l->data);
}

static void
query_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Completion *c = user_data;
  g_autoptr(GPtrArray) found = g_task_propagate_pointer (G_TASK (result), NULL);
  int width;

  /* Cancelled (the entry is gone, or a newer query runs): nothing to show. */
  if (found == NULL)
    return;
  clear_list (c);
  for (guint i = 0; i < found->len; i++)
    {
      g_autofree char *text = format_address (g_ptr_array_index (found, i));
      GtkWidget *label = gtk_label_new (text);

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_widget_set_margin_start (label, 6);
      gtk_widget_set_margin_end (label, 6);
      gtk_widget_set_margin_top (label, 4);
      gtk_widget_set_margin_bottom (label, 4);
      g_object_set_data_full (G_OBJECT (label), "pigeon-address", g_steal_pointer (&text),
                              g_free);
      gtk_widget_show (label);
      gtk_container_add (GTK_CONTAINER (c->list), label);
      /* Clicking one must not take the keyboard from the field (which closes the list). */
      gtk_widget_set_can_focus (gtk_widget_get_parent (label), FALSE);
    }
  if (found->len == 0 || !gtk_widget_is_focus (GTK_WIDGET (c->entry)))
    {
      gtk_widget_hide (GTK_WIDGET (c->popover));
      return;
    }
  width = gtk_widget_get_allocated_width (GTK_WIDGET (c->entry));
  gtk_widget_set_size_request (GTK_WIDGET (c->list), MAX (width - 12, 200), -1);
  gtk_popover_popup (c->popover);
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
  if (*token == '\0' || strchr (token, '<') != NULL)
    {
      gtk_widget_hide (GTK_WIDGET (c->popover));
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

/* ------------------------------------------------------------------ the field */

static void
changed_cb (GtkEditable *editable,
            Completion  *c)
{
  if (c->replacing)
    return;
  g_clear_handle_id (&c->timeout_id, g_source_remove);
  c->timeout_id = g_timeout_add (DEBOUNCE_MS, query_cb, c);
}

/* The suggestion takes the place of what was typed, followed by a comma for the next. */
static void
take (Completion *c,
      GtkWidget  *row)
{
  const char *chosen = g_object_get_data (G_OBJECT (gtk_bin_get_child (GTK_BIN (row))),
                                          "pigeon-address");
  const char *current = gtk_entry_get_text (c->entry);
  g_autofree char *before = g_strndup (current, token_start (current));
  g_autofree char *text = NULL;

  g_strchomp (before);
  text = *before != '\0' ? g_strdup_printf ("%s %s, ", before, chosen)
                         : g_strdup_printf ("%s, ", chosen);
  c->replacing = TRUE;
  gtk_entry_set_text (c->entry, text);
  gtk_editable_set_position (GTK_EDITABLE (c->entry), -1);
  c->replacing = FALSE;
  gtk_popover_popdown (c->popover);
  gtk_widget_grab_focus (GTK_WIDGET (c->entry));
  gtk_editable_set_position (GTK_EDITABLE (c->entry), -1);
}

static void
row_activated_cb (GtkListBox    *list,
                  GtkListBoxRow *row,
                  Completion    *c)
{
  take (c, GTK_WIDGET (row));
}

static void
move (Completion *c,
      int         step)
{
  GtkListBoxRow *selected = gtk_list_box_get_selected_row (c->list);
  g_autoptr(GList) rows = gtk_container_get_children (GTK_CONTAINER (c->list));
  int n = g_list_length (rows);
  int index;

  if (n == 0)
    return;
  index = selected != NULL ? gtk_list_box_row_get_index (selected) + step
                           : (step > 0 ? 0 : n - 1);
  index = CLAMP (index, 0, n - 1);
  gtk_list_box_select_row (c->list, gtk_list_box_get_row_at_index (c->list, index));
}

static gboolean
key_press_cb (GtkWidget   *widget,
              GdkEventKey *event,
              Completion  *c)
{
  GtkListBoxRow *selected;

  if (!gtk_widget_get_visible (GTK_WIDGET (c->popover)))
    return GDK_EVENT_PROPAGATE;
  switch (event->keyval)
    {
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      move (c, 1);
      return GDK_EVENT_STOP;
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      move (c, -1);
      return GDK_EVENT_STOP;
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
    case GDK_KEY_Tab:
      selected = gtk_list_box_get_selected_row (c->list);
      if (selected == NULL)
        return GDK_EVENT_PROPAGATE;
      take (c, GTK_WIDGET (selected));
      return GDK_EVENT_STOP;
    case GDK_KEY_Escape:
      gtk_popover_popdown (c->popover);
      return GDK_EVENT_STOP;
    default:
      return GDK_EVENT_PROPAGATE;
    }
}

static gboolean
focus_out_cb (GtkWidget     *widget,
              GdkEventFocus *event,
              Completion    *c)
{
  gtk_popover_popdown (c->popover);
  return GDK_EVENT_PROPAGATE;
}

void
pigeon_composer_address_attach (GtkEntry          *entry,
                                PigeonApplication *app)
{
  Completion *c;
  GtkWidget *scrolled;

  g_return_if_fail (GTK_IS_ENTRY (entry));
  g_return_if_fail (PIGEON_IS_APPLICATION (app));

  c = g_new0 (Completion, 1);
  c->entry = entry;
  c->app = g_object_ref (app);

  /* The list is part of the field: created with it, destroyed with it. */
  c->popover = GTK_POPOVER (gtk_popover_new (GTK_WIDGET (entry)));
  gtk_popover_set_modal (c->popover, FALSE);
  gtk_popover_set_position (c->popover, GTK_POS_BOTTOM);
  gtk_style_context_add_class (gtk_widget_get_style_context (GTK_WIDGET (c->popover)),
                               "pigeon-composer-suggestions");
  scrolled = gtk_scrolled_window_new (NULL, NULL);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 320);
  c->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_widget_set_can_focus (GTK_WIDGET (c->list), FALSE);
  gtk_list_box_set_selection_mode (c->list, GTK_SELECTION_BROWSE);
  gtk_list_box_set_activate_on_single_click (c->list, TRUE);
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (c->list)), "Suggestions");
  gtk_container_add (GTK_CONTAINER (scrolled), GTK_WIDGET (c->list));
  gtk_container_add (GTK_CONTAINER (c->popover), scrolled);
  gtk_widget_show_all (scrolled);
  g_signal_connect (c->list, "row-activated", G_CALLBACK (row_activated_cb), c);

  g_signal_connect (entry, "changed", G_CALLBACK (changed_cb), c);
  g_signal_connect (entry, "key-press-event", G_CALLBACK (key_press_cb), c);
  g_signal_connect (entry, "focus-out-event", G_CALLBACK (focus_out_cb), c);
  g_object_set_data_full (G_OBJECT (entry), DATA_KEY, c, completion_free);
}
