/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-folder-chooser.h"

struct _PigeonFolderChooser
{
  GtkDialog parent_instance;

  GtkTreeView *tree_view;
  GtkTreeStore *store;
  GtkTreeSelection *selection;
  GtkButton *move_button;
};

G_DEFINE_FINAL_TYPE (PigeonFolderChooser, pigeon_folder_chooser, GTK_TYPE_DIALOG)

enum {
  COL_ID,
  COL_NAME,
  COL_SELECTABLE,
};

static void
selection_changed_cb (GtkTreeSelection    *selection,
                      PigeonFolderChooser *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->move_button),
                            pigeon_folder_chooser_get_folder_id (self) != 0);
}

static void
row_activated_cb (GtkTreeView         *tree_view,
                  GtkTreePath         *path,
                  GtkTreeViewColumn   *column,
                  PigeonFolderChooser *self)
{
  if (pigeon_folder_chooser_get_folder_id (self) != 0)
    gtk_dialog_response (GTK_DIALOG (self), GTK_RESPONSE_ACCEPT);
}

static gboolean
select_function (GtkTreeSelection *selection,
                 GtkTreeModel     *model,
                 GtkTreePath      *path,
                 gboolean          currently_selected,
                 gpointer          user_data)
{
  GtkTreeIter iter;
  gboolean selectable;

  gtk_tree_model_get_iter (model, &iter, path);
  gtk_tree_model_get (model, &iter, COL_SELECTABLE, &selectable, -1);
  return selectable;
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  const PigeonFolder *fa = *(PigeonFolder * const *) a;
  const PigeonFolder *fb = *(PigeonFolder * const *) b;

  /* Inbox first; parents sort before their children by path. */
  if ((fa->role == PIGEON_FOLDER_ROLE_INBOX) != (fb->role == PIGEON_FOLDER_ROLE_INBOX))
    return fa->role == PIGEON_FOLDER_ROLE_INBOX ? -1 : 1;
  return g_utf8_collate (fa->path, fb->path);
}

static void
fill (PigeonFolderChooser *self,
      PigeonStore         *store,
      gint64               current_folder_id)
{
  g_autoptr(GPtrArray) folders = pigeon_store_list_folders (store, NULL);
  g_autoptr(GHashTable) iters = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) gtk_tree_iter_free);

  if (folders == NULL)
    return;
  g_ptr_array_sort (folders, compare_paths);
  for (guint i = 0; i < folders->len; i++)
    {
      const PigeonFolder *folder = g_ptr_array_index (folders, i);
      GtkTreeIter *parent = folder->parent_path ? g_hash_table_lookup (iters, folder->parent_path)
                                                : NULL;
      GtkTreeIter iter;
      gboolean selectable = folder->id != current_folder_id &&
                            (folder->flags & PIGEON_FOLDER_FLAG_NOSELECT) == 0;

      gtk_tree_store_append (self->store, &iter, parent);
      gtk_tree_store_set (self->store, &iter,
                          COL_ID, folder->id,
                          COL_NAME, folder->role == PIGEON_FOLDER_ROLE_INBOX &&
                                    folder->parent_path == NULL ? _("Inbox") : folder->name,
                          COL_SELECTABLE, selectable,
                          -1);
      g_hash_table_insert (iters, g_strdup (folder->path), gtk_tree_iter_copy (&iter));
    }
  gtk_tree_view_expand_all (self->tree_view);
}

static void
pigeon_folder_chooser_class_init (PigeonFolderChooserClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/pigeonmail/Pigeon/pigeon-folder-chooser.ui");
  gtk_widget_class_bind_template_child (widget_class, PigeonFolderChooser, tree_view);
  gtk_widget_class_bind_template_child (widget_class, PigeonFolderChooser, store);
  gtk_widget_class_bind_template_child (widget_class, PigeonFolderChooser, selection);
  gtk_widget_class_bind_template_child (widget_class, PigeonFolderChooser, move_button);
  gtk_widget_class_bind_template_callback (widget_class, selection_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
}

static void
pigeon_folder_chooser_init (PigeonFolderChooser *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_tree_selection_set_select_function (self->selection, select_function, NULL, NULL);
}

GtkWidget *
pigeon_folder_chooser_new (GtkWindow     *parent,
                           PigeonSession *session,
                           gint64         current_folder_id,
                           guint          n_messages)
{
  PigeonFolderChooser *self;
  g_autofree char *title = NULL;

  g_return_val_if_fail (PIGEON_IS_SESSION (session), NULL);

  title = g_strdup_printf (ngettext ("Move %'u Message", "Move %'u Messages", n_messages),
                           n_messages);
  self = g_object_new (PIGEON_TYPE_FOLDER_CHOOSER, "transient-for", parent,
                       "use-header-bar", TRUE, "title", title, NULL);
  if (pigeon_session_get_store (session) != NULL)
    fill (self, pigeon_session_get_store (session), current_folder_id);
  selection_changed_cb (self->selection, self);
  return GTK_WIDGET (self);
}

gint64
pigeon_folder_chooser_get_folder_id (PigeonFolderChooser *self)
{
  GtkTreeModel *model;
  GtkTreeIter iter;
  gint64 id = 0;

  g_return_val_if_fail (PIGEON_IS_FOLDER_CHOOSER (self), 0);

  if (gtk_tree_selection_get_selected (self->selection, &model, &iter))
    gtk_tree_model_get (model, &iter, COL_ID, &id, -1);
  return id;
}
