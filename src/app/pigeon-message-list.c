/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-message-list.h"
#include "pigeon-popup-menu.h"

/* Past this many selected rows, the menus do not read every row to know their state. */
#define STATE_SCAN_LIMIT 500
/* A load shorter than this shows no spinner. */
#define SPINNER_DELAY_MS 150
/* Timings for tests/bench/gui (G_MESSAGES_DEBUG=pigeon-bench). */
#define BENCH_DOMAIN "pigeon-bench"

typedef struct
{
  guint  source;
  gint64 id;
} RowKey;

struct _PigeonMessageList
{
  GtkBin parent_instance;

  GtkStack *stack;
  GtkImage *status_image;
  GtkLabel *status_label;
  GtkSpinner *spinner;
  GtkTreeView *tree_view;
  GtkTreeSelection *selection;
  GtkTreeViewColumn *status_column;
  GtkTreeViewColumn *message_column;
  GtkCellRenderer *star_renderer;
  GMenuModel *row_menu;

  PigeonMessageListModel *model;
  char *empty_text;
  guint spinner_source;
  guint selection_idle;
  gint64 shown_at;           /* when the model was set, for the first-draw timing */
  gulong draw_handler;

  GArray *selected;          /* RowKey: the selection as of the last change */
  /* The selected rows, read once per change: GtkTreeSelection walks every row of the view
   * for each question asked of it in multiple mode. */
  GList *selected_paths;     /* GtkTreePath* */
  guint n_selected;
  gboolean selection_dirty;
  gboolean has_next;
  RowKey next;               /* selected once the removed rows are gone */
  PigeonSession *pending_session;
  gint64 pending_id;
};

G_DEFINE_FINAL_TYPE (PigeonMessageList, pigeon_message_list, GTK_TYPE_BIN)

enum {
  SIGNAL_SELECTION_CHANGED,
  SIGNAL_STAR_TOGGLED,
  SIGNAL_ACTION,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
pigeon_message_selection_free (PigeonMessageSelection *selection)
{
  g_clear_object (&selection->session);
  g_clear_pointer (&selection->ids, g_array_unref);
  g_free (selection);
}

/* ------------------------------------------------------------------ pages */

void
pigeon_message_list_show_status (PigeonMessageList *self,
                                 const char        *icon_name,
                                 const char        *text)
{
  g_return_if_fail (PIGEON_IS_MESSAGE_LIST (self));

  gtk_image_set_from_icon_name (self->status_image, icon_name, GTK_ICON_SIZE_DIALOG);
  gtk_image_set_pixel_size (self->status_image, 64);
  gtk_label_set_text (self->status_label, text);
  gtk_spinner_stop (self->spinner);
  gtk_stack_set_visible_child_name (self->stack, "status");
}

static void
update_page (PigeonMessageList *self)
{
  const GError *error;

  if (self->model == NULL || !pigeon_message_list_model_is_loaded (self->model))
    return;
  gtk_spinner_stop (self->spinner);
  error = pigeon_message_list_model_get_error (self->model);
  if (error != NULL)
    pigeon_message_list_show_status (self, "dialog-warning-symbolic", error->message);
  else if (pigeon_message_list_model_get_n_rows (self->model) == 0)
    pigeon_message_list_show_status (self,
                                     pigeon_message_list_model_get_search (self->model)
                                       ? "edit-find-symbolic" : "pigeon-inbox-symbolic",
                                     self->empty_text);
  else
    gtk_stack_set_visible_child_name (self->stack, "list");
}

static gboolean
spinner_cb (gpointer user_data)
{
  PigeonMessageList *self = user_data;

  self->spinner_source = 0;
  gtk_spinner_start (self->spinner);
  gtk_stack_set_visible_child_name (self->stack, "loading");
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------ selection */

static gboolean
row_key_of (PigeonMessageList *self,
            GtkTreeIter       *iter,
            RowKey            *key)
{
  return pigeon_message_list_model_get_message (self->model, iter, &key->source, &key->id);
}

static void
forget_selection (PigeonMessageList *self)
{
  g_list_free_full (g_steal_pointer (&self->selected_paths), (GDestroyNotify) gtk_tree_path_free);
  self->n_selected = 0;
  self->selection_dirty = TRUE;
}

/* The selected rows, from the cache. */
static GList *
selected_paths (PigeonMessageList *self)
{
  if (self->selection_dirty)
    {
      self->selection_dirty = FALSE;
      if (self->model != NULL && gtk_tree_view_get_model (self->tree_view) != NULL)
        self->selected_paths = gtk_tree_selection_get_selected_rows (self->selection, NULL);
      self->n_selected = g_list_length (self->selected_paths);
    }
  return self->selected_paths;
}

static void
remember_selection (PigeonMessageList *self)
{
  g_array_set_size (self->selected, 0);
  if (self->model == NULL)
    return;
  for (GList *l = selected_paths (self); l != NULL; l = l->next)
    {
      GtkTreeIter iter;
      RowKey key;

      if (gtk_tree_model_get_iter (GTK_TREE_MODEL (self->model), &iter, l->data) &&
          row_key_of (self, &iter, &key))
        g_array_append_val (self->selected, key);
    }
}

static gboolean
selection_idle_cb (gpointer user_data)
{
  PigeonMessageList *self = user_data;

  self->selection_idle = 0;
  remember_selection (self);
  g_signal_emit (self, signals[SIGNAL_SELECTION_CHANGED], 0);
  return G_SOURCE_REMOVE;
}

static void
selection_changed_cb (GtkTreeSelection  *selection,
                      PigeonMessageList *self)
{
  forget_selection (self);
  /* Changes come in bursts (a reload, a range select): tell once. */
  if (self->selection_idle == 0)
    self->selection_idle = g_idle_add_full (G_PRIORITY_HIGH_IDLE, selection_idle_cb, self, NULL);
}

static gboolean
select_key (PigeonMessageList *self,
            const RowKey      *key,
            gboolean           scroll)
{
  GtkTreeIter iter;
  g_autoptr(GtkTreePath) path = NULL;

  if (!pigeon_message_list_model_find (self->model, key->source, key->id, &iter))
    return FALSE;
  path = gtk_tree_model_get_path (GTK_TREE_MODEL (self->model), &iter);
  gtk_tree_selection_select_path (self->selection, path);
  if (scroll)
    {
      gtk_tree_view_set_cursor (self->tree_view, path, NULL, FALSE);
      gtk_tree_view_scroll_to_cell (self->tree_view, path, NULL, FALSE, 0, 0);
    }
  return TRUE;
}

static int
source_of_session (PigeonMessageList *self,
                   PigeonSession     *session)
{
  for (guint i = 0; i < pigeon_message_list_model_get_n_sources (self->model); i++)
    if (pigeon_message_list_model_get_session (self->model, i) == session)
      return i;
  return -1;
}

static void
select_pending (PigeonMessageList *self)
{
  GtkTreeIter iter;
  RowKey key;
  int source;

  if (self->pending_session == NULL || self->model == NULL ||
      !pigeon_message_list_model_is_loaded (self->model))
    return;
  source = source_of_session (self, self->pending_session);
  key.source = source;
  key.id = self->pending_id;
  if (source >= 0 && pigeon_message_list_model_find (self->model, key.source, key.id, &iter))
    {
      gtk_tree_selection_unselect_all (self->selection);
      select_key (self, &key, TRUE);
      g_clear_object (&self->pending_session);
    }
}

/* After a reload: rows that moved (a conversation with a new message) are selected again,
 * and rows that went hand the selection to their neighbour. */
static void
model_reloaded_cb (PigeonMessageListModel *model,
                   PigeonMessageList      *self)
{
  guint kept = 0;

  for (guint i = 0; i < self->selected->len; i++)
    {
      const RowKey *key = &g_array_index (self->selected, RowKey, i);
      GtkTreeIter iter;
      g_autoptr(GtkTreePath) path = NULL;

      if (!pigeon_message_list_model_find (self->model, key->source, key->id, &iter))
        continue;
      path = gtk_tree_model_get_path (GTK_TREE_MODEL (self->model), &iter);
      if (!gtk_tree_selection_path_is_selected (self->selection, path))
        gtk_tree_selection_select_path (self->selection, path);
      kept++;
    }
  if (kept == 0 && self->has_next)
    select_key (self, &self->next, TRUE);
  self->has_next = FALSE;
  select_pending (self);
  update_page (self);
}

/* ------------------------------------------------------------------ the model */

static gboolean
first_draw_cb (GtkWidget         *widget,
               cairo_t           *cr,
               PigeonMessageList *self)
{
  g_clear_signal_handler (&self->draw_handler, widget);
  g_log (BENCH_DOMAIN, G_LOG_LEVEL_DEBUG, "first rows drawn: %.1f ms after the list was asked "
         "for them, %u rows", (g_get_monotonic_time () - self->shown_at) / 1000.0,
         self->model ? pigeon_message_list_model_get_n_loaded (self->model) : 0);
  return GDK_EVENT_PROPAGATE;
}

static void
rows_moved_cb (PigeonMessageList *self)
{
  forget_selection (self);
}

/* A selected row read or starred elsewhere (or by the mark-read timer): the actions on the
 * selection change with it. */
static void
row_changed_cb (GtkTreeModel      *model,
                GtkTreePath       *path,
                GtkTreeIter       *iter,
                PigeonMessageList *self)
{
  if (self->selection_idle == 0 && gtk_tree_view_get_model (self->tree_view) == model &&
      gtk_tree_selection_path_is_selected (self->selection, path))
    self->selection_idle = g_idle_add_full (G_PRIORITY_HIGH_IDLE, selection_idle_cb, self, NULL);
}

static void
attach_model (PigeonMessageList *self)
{
  g_clear_handle_id (&self->spinner_source, g_source_remove);
  forget_selection (self);
  gtk_tree_view_set_model (self->tree_view, GTK_TREE_MODEL (self->model));
  g_clear_signal_handler (&self->draw_handler, self->tree_view);
  if (pigeon_message_list_model_get_n_rows (self->model) > 0)
    self->draw_handler = g_signal_connect_after (self->tree_view, "draw",
                                                 G_CALLBACK (first_draw_cb), self);
  if (pigeon_message_list_model_get_threaded (self->model))
    gtk_tree_view_set_expander_column (self->tree_view, self->message_column);
  update_page (self);
  select_pending (self);
}

static void
model_loaded_cb (PigeonMessageListModel *model,
                 PigeonMessageList      *self)
{
  attach_model (self);
}

static void
detach_model (PigeonMessageList *self)
{
  g_clear_handle_id (&self->spinner_source, g_source_remove);
  if (self->model == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->model, self);
  gtk_tree_view_set_model (self->tree_view, NULL);
  g_clear_object (&self->model);
  forget_selection (self);
  g_array_set_size (self->selected, 0);
  self->has_next = FALSE;
}

void
pigeon_message_list_set_model (PigeonMessageList      *self,
                               PigeonMessageListModel *model,
                               const char             *empty_text)
{
  g_return_if_fail (PIGEON_IS_MESSAGE_LIST (self));
  g_return_if_fail (model == NULL || PIGEON_IS_MESSAGE_LIST_MODEL (model));

  if (model == self->model)
    return;
  detach_model (self);
  g_free (self->empty_text);
  self->empty_text = g_strdup (empty_text);
  if (model == NULL)
    {
      pigeon_message_list_show_status (self, "pigeon-inbox-symbolic", empty_text);
      g_signal_emit (self, signals[SIGNAL_SELECTION_CHANGED], 0);
      return;
    }

  self->model = g_object_ref (model);
  self->shown_at = g_get_monotonic_time ();
  /* Paths shift when rows come and go. */
  g_signal_connect_object (model, "row-inserted", G_CALLBACK (rows_moved_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (model, "row-deleted", G_CALLBACK (rows_moved_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (model, "row-changed", G_CALLBACK (row_changed_cb), self, 0);
  g_signal_connect_object (model, "reloaded", G_CALLBACK (model_reloaded_cb), self, 0);
  if (pigeon_message_list_model_is_loaded (model))
    {
      attach_model (self);
    }
  else
    {
      g_signal_connect_object (model, "loaded", G_CALLBACK (model_loaded_cb), self, 0);
      self->spinner_source = g_timeout_add (SPINNER_DELAY_MS, spinner_cb, self);
      pigeon_message_list_model_load (model);
    }
  g_signal_emit (self, signals[SIGNAL_SELECTION_CHANGED], 0);
}

PigeonMessageListModel *
pigeon_message_list_get_model (PigeonMessageList *self)
{
  g_return_val_if_fail (PIGEON_IS_MESSAGE_LIST (self), NULL);
  return self->model;
}

/* ------------------------------------------------------------------ reading the selection */

guint
pigeon_message_list_count_selected (PigeonMessageList *self)
{
  g_return_val_if_fail (PIGEON_IS_MESSAGE_LIST (self), 0);

  selected_paths (self);
  return self->n_selected;
}

gboolean
pigeon_message_list_get_selected_message (PigeonMessageList  *self,
                                          PigeonSession     **session,
                                          gint64             *id)
{
  GtkTreeIter iter;
  guint source;

  g_return_val_if_fail (PIGEON_IS_MESSAGE_LIST (self), FALSE);

  if (pigeon_message_list_count_selected (self) != 1 ||
      !gtk_tree_model_get_iter (GTK_TREE_MODEL (self->model), &iter,
                                selected_paths (self)->data) ||
      !pigeon_message_list_model_get_message (self->model, &iter, &source, id))
    return FALSE;
  *session = pigeon_message_list_model_get_session (self->model, source);
  return TRUE;
}

GPtrArray *
pigeon_message_list_dup_selection (PigeonMessageList *self)
{
  g_autoptr(GPtrArray) seen = NULL;
  GPtrArray *result;
  guint n_sources;

  g_return_val_if_fail (PIGEON_IS_MESSAGE_LIST (self), NULL);

  result = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_selection_free);
  if (self->model == NULL || pigeon_message_list_count_selected (self) == 0)
    return result;

  n_sources = pigeon_message_list_model_get_n_sources (self->model);
  seen = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  for (guint i = 0; i < n_sources; i++)
    {
      PigeonMessageSelection *s = g_new0 (PigeonMessageSelection, 1);

      s->session = g_object_ref (pigeon_message_list_model_get_session (self->model, i));
      s->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_ptr_array_add (result, s);
      g_ptr_array_add (seen, g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL));
    }

  for (GList *l = selected_paths (self); l != NULL; l = l->next)
    {
      g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
      GtkTreeIter iter;
      guint source = 0;

      if (!gtk_tree_model_get_iter (GTK_TREE_MODEL (self->model), &iter, l->data))
        continue;
      pigeon_message_list_model_collect_ids (self->model, &iter, &source, ids);
      for (guint k = 0; k < ids->len; k++)
        {
          gint64 id = g_array_index (ids, gint64, k);
          GHashTable *set = g_ptr_array_index (seen, source);

          if (g_hash_table_contains (set, &id))
            continue;
          g_hash_table_add (set, g_memdup2 (&id, sizeof id));
          g_array_append_val (((PigeonMessageSelection *) g_ptr_array_index (result, source))->ids,
                              id);
        }
    }

  /* Only the accounts something was picked from. */
  for (guint i = result->len; i > 0; i--)
    if (((PigeonMessageSelection *) g_ptr_array_index (result, i - 1))->ids->len == 0)
      g_ptr_array_remove_index (result, i - 1);
  return result;
}

typedef struct
{
  gboolean unread, read, starred, unstarred;
} SelectionState;

static void
add_row_state (GtkTreeModel   *model,
               GtkTreeIter    *iter,
               SelectionState *state)
{
  gboolean unread, flagged;

  gtk_tree_model_get (model, iter,
                      PIGEON_MESSAGE_LIST_COL_UNREAD, &unread,
                      PIGEON_MESSAGE_LIST_COL_FLAGGED, &flagged,
                      -1);
  state->unread |= unread;
  state->read |= !unread;
  state->starred |= flagged;
  state->unstarred |= !flagged;
}

void
pigeon_message_list_get_selection_state (PigeonMessageList *self,
                                         gboolean          *any_unread,
                                         gboolean          *any_read,
                                         gboolean          *any_starred,
                                         gboolean          *any_unstarred)
{
  SelectionState state = { FALSE, FALSE, FALSE, FALSE };
  guint count;

  g_return_if_fail (PIGEON_IS_MESSAGE_LIST (self));

  count = pigeon_message_list_count_selected (self);
  if (count > STATE_SCAN_LIMIT)
    state = (SelectionState) { TRUE, TRUE, TRUE, TRUE };
  else
    for (GList *l = selected_paths (self); l != NULL; l = l->next)
      {
        GtkTreeIter iter;

        if (gtk_tree_model_get_iter (GTK_TREE_MODEL (self->model), &iter, l->data))
          add_row_state (GTK_TREE_MODEL (self->model), &iter, &state);
      }
  *any_unread = state.unread;
  *any_read = state.read;
  *any_starred = state.starred;
  *any_unstarred = state.unstarred;
}

void
pigeon_message_list_select_next_after_removal (PigeonMessageList *self)
{
  GtkTreeModel *model;
  GtkTreeIter iter;
  int last = -1, first = -1;
  guint total;

  g_return_if_fail (PIGEON_IS_MESSAGE_LIST (self));

  self->has_next = FALSE;
  if (self->model == NULL)
    return;
  model = GTK_TREE_MODEL (self->model);
  for (GList *l = selected_paths (self); l != NULL; l = l->next)
    {
      int top = gtk_tree_path_get_indices (l->data)[0];

      last = MAX (last, top);
      first = first < 0 ? top : MIN (first, top);
    }
  if (last < 0)
    return;

  /* The row below the selection, else the one above it. */
  total = pigeon_message_list_model_get_n_rows (self->model);
  if ((guint) last + 1 < total)
    gtk_tree_model_iter_nth_child (model, &iter, NULL, last + 1);
  else if (first > 0)
    gtk_tree_model_iter_nth_child (model, &iter, NULL, first - 1);
  else
    return;
  self->has_next = row_key_of (self, &iter, &self->next);
}

void
pigeon_message_list_select_message (PigeonMessageList *self,
                                    PigeonSession     *session,
                                    gint64             id)
{
  g_return_if_fail (PIGEON_IS_MESSAGE_LIST (self));
  g_return_if_fail (PIGEON_IS_SESSION (session));

  g_set_object (&self->pending_session, session);
  self->pending_id = id;
  select_pending (self);
}

void
pigeon_message_list_focus (PigeonMessageList *self)
{
  g_return_if_fail (PIGEON_IS_MESSAGE_LIST (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->tree_view));
}

/* ------------------------------------------------------------------ mouse and keys */

static gboolean
star_hit (PigeonMessageList *self,
          GtkTreePath       *path,
          GtkTreeViewColumn *column,
          int                cell_x)
{
  GtkTreeIter iter;
  int start, width;

  if (column != self->status_column ||
      !gtk_tree_model_get_iter (GTK_TREE_MODEL (self->model), &iter, path))
    return FALSE;
  gtk_tree_view_column_cell_set_cell_data (column, GTK_TREE_MODEL (self->model), &iter,
                                           FALSE, FALSE);
  if (!gtk_tree_view_column_cell_get_position (column, self->star_renderer, &start, &width))
    return FALSE;
  return cell_x >= start && cell_x < start + width;
}

static void
toggle_star_at (PigeonMessageList *self,
                GtkTreePath       *path)
{
  GtkTreeIter iter;
  guint source;
  gint64 id;
  gboolean flagged;

  if (!gtk_tree_model_get_iter (GTK_TREE_MODEL (self->model), &iter, path) ||
      !pigeon_message_list_model_get_message (self->model, &iter, &source, &id))
    return;
  gtk_tree_model_get (GTK_TREE_MODEL (self->model), &iter,
                      PIGEON_MESSAGE_LIST_COL_FLAGGED, &flagged, -1);
  g_signal_emit (self, signals[SIGNAL_STAR_TOGGLED], 0,
                 pigeon_message_list_model_get_session (self->model, source), id, !flagged);
}

static void
popup_menu (PigeonMessageList *self,
            const GdkEvent    *event)
{
  pigeon_popup_menu (self->row_menu, GTK_WIDGET (self->tree_view), event, NULL);
}

static gboolean
tree_button_press_cb (GtkTreeView       *tree_view,
                      GdkEventButton    *event,
                      PigeonMessageList *self)
{
  g_autoptr(GtkTreePath) path = NULL;
  GtkTreeViewColumn *column = NULL;
  int cell_x, cell_y;

  if (self->model == NULL || event->type != GDK_BUTTON_PRESS ||
      event->window != gtk_tree_view_get_bin_window (tree_view) ||
      !gtk_tree_view_get_path_at_pos (tree_view, event->x, event->y, &path, &column,
                                      &cell_x, &cell_y))
    return GDK_EVENT_PROPAGATE;

  if (event->button == GDK_BUTTON_PRIMARY && star_hit (self, path, column, cell_x))
    {
      toggle_star_at (self, path);
      return GDK_EVENT_STOP;
    }
  if (gdk_event_triggers_context_menu ((GdkEvent *) event))
    {
      if (!gtk_tree_selection_path_is_selected (self->selection, path))
        {
          gtk_tree_selection_unselect_all (self->selection);
          gtk_tree_selection_select_path (self->selection, path);
          gtk_tree_view_set_cursor (tree_view, path, NULL, FALSE);
        }
      popup_menu (self, (GdkEvent *) event);
      return GDK_EVENT_STOP;
    }
  return GDK_EVENT_PROPAGATE;
}

static gboolean
tree_popup_menu_cb (GtkWidget         *widget,
                    PigeonMessageList *self)
{
  if (pigeon_message_list_count_selected (self) == 0)
    return FALSE;
  popup_menu (self, NULL);
  return TRUE;
}

/* Single keys act on the selection while the list has the focus (as in Thunderbird); as
 * window accelerators they would eat the letters typed into the search entry. */
static gboolean
tree_key_press_cb (GtkWidget         *widget,
                   GdkEventKey       *event,
                   PigeonMessageList *self)
{
  GdkModifierType mods = event->state & gtk_accelerator_get_default_mod_mask ();
  const char *action = NULL;

  if ((mods & ~GDK_SHIFT_MASK) != 0)
    return GDK_EVENT_PROPAGATE;
  switch (event->keyval)
    {
    case GDK_KEY_Delete:
    case GDK_KEY_KP_Delete:
      action = "delete";
      break;
    case GDK_KEY_s:
      action = "toggle-star";
      break;
    case GDK_KEY_m:
      action = "toggle-read";
      break;
    case GDK_KEY_a:
      action = "archive";
      break;
    case GDK_KEY_v:
      action = "move-to";
      break;
    default:
      break;
    }
  if (action == NULL || mods != 0)
    return GDK_EVENT_PROPAGATE;
  g_signal_emit (self, signals[SIGNAL_ACTION], 0, action);
  return GDK_EVENT_STOP;
}

/* ------------------------------------------------------------------ GObject */

static void
pigeon_message_list_dispose (GObject *object)
{
  PigeonMessageList *self = (PigeonMessageList *) object;

  detach_model (self);
  forget_selection (self);
  g_clear_handle_id (&self->selection_idle, g_source_remove);
  g_clear_object (&self->pending_session);

  G_OBJECT_CLASS (pigeon_message_list_parent_class)->dispose (object);
}

static void
pigeon_message_list_finalize (GObject *object)
{
  PigeonMessageList *self = (PigeonMessageList *) object;

  g_clear_pointer (&self->selected, g_array_unref);
  g_clear_pointer (&self->empty_text, g_free);

  G_OBJECT_CLASS (pigeon_message_list_parent_class)->finalize (object);
}

static void
pigeon_message_list_class_init (PigeonMessageListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pigeon_message_list_dispose;
  object_class->finalize = pigeon_message_list_finalize;

  signals[SIGNAL_SELECTION_CHANGED] =
    g_signal_new ("selection-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_STAR_TOGGLED] =
    g_signal_new ("star-toggled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 3, PIGEON_TYPE_SESSION, G_TYPE_INT64,
                  G_TYPE_BOOLEAN);
  signals[SIGNAL_ACTION] =
    g_signal_new ("action", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/pigeonmail/Pigeon/pigeon-message-list.ui");
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageList, stack);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageList, status_image);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageList, status_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageList, spinner);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageList, tree_view);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageList, selection);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageList, status_column);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageList, message_column);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageList, star_renderer);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageList, row_menu);
  gtk_widget_class_bind_template_callback (widget_class, selection_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, tree_button_press_cb);
  gtk_widget_class_bind_template_callback (widget_class, tree_key_press_cb);
  gtk_widget_class_bind_template_callback (widget_class, tree_popup_menu_cb);
}

static void
pigeon_message_list_init (PigeonMessageList *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->selected = g_array_new (FALSE, FALSE, sizeof (RowKey));
  self->selection_dirty = TRUE;
}

GtkWidget *
pigeon_message_list_new (void)
{
  return g_object_new (PIGEON_TYPE_MESSAGE_LIST, NULL);
}
