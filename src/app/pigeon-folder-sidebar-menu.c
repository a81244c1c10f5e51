/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-folder-sidebar-private.h"
#include "pigeon-name-dialog.h"
#include "pigeon-popup-menu.h"
#include "pigeon-store-list.h"

/*
 * The folder menu of the sidebar: mark all as read, synchronize, new, rename and delete
 * folder (the accounts' menu: get mail, new folder; All Inboxes: mark all as read).  Each
 * change goes through the store on a worker thread, queued for the server.
 */

typedef enum
{
  FOLDER_OP_CREATE,
  FOLDER_OP_RENAME,
  FOLDER_OP_DELETE,
  FOLDER_OP_MARK_READ,
} FolderOpKind;

typedef struct
{
  FolderOpKind kind;
  PigeonStore *store;
  gint64 folder_id;
  char *path;
  char *delimiter;
} FolderOp;

static void
folder_op_free (FolderOp *op)
{
  g_clear_object (&op->store);
  g_free (op->path);
  g_free (op->delimiter);
  g_free (op);
}

static void
folder_op_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  FolderOp *op = task_data;
  GError *error = NULL;
  gboolean ok = FALSE;

  switch (op->kind)
    {
    case FOLDER_OP_CREATE:
      ok = pigeon_store_create_folder (op->store, op->path, op->delimiter, FALSE, &error) != 0;
      break;
    case FOLDER_OP_RENAME:
      ok = pigeon_store_user_rename_folder (op->store, op->folder_id, op->path, &error);
      break;
    case FOLDER_OP_DELETE:
      ok = pigeon_store_user_delete_folder (op->store, op->folder_id, &error);
      break;
    case FOLDER_OP_MARK_READ:
      {
        g_autoptr(GArray) ids = pigeon_store_list_unread_ids (op->store, op->folder_id, &error);

        ok = ids != NULL &&
             (ids->len == 0 ||
              pigeon_store_change_flags (op->store, (const gint64 *) (gpointer) ids->data,
                                         ids->len, PIGEON_MESSAGE_FLAG_SEEN, 0, &error));
      }
      break;
    default:
      g_assert_not_reached ();
    }
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
folder_op_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  PigeonFolderSidebar *self = PIGEON_FOLDER_SIDEBAR (source);
  FolderOp *op = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      const char *title = NULL;

      switch (op->kind)
        {
        case FOLDER_OP_CREATE: title = _("The folder could not be created"); break;
        case FOLDER_OP_RENAME: title = _("The folder could not be renamed"); break;
        case FOLDER_OP_DELETE: title = _("The folder could not be deleted"); break;
        case FOLDER_OP_MARK_READ:
        default: title = _("The messages could not be marked as read"); break;
        }
      pigeon_folder_sidebar_emit_error (self, title, error->message);
    }
}

static void
run_folder_op (PigeonFolderSidebar *self,
               FolderOp            *op)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, folder_op_done_cb, NULL);

  g_task_set_source_tag (task, run_folder_op);
  g_task_set_task_data (task, op, (GDestroyNotify) folder_op_free);
  g_task_run_in_thread (task, folder_op_thread);
}

static FolderOp *
folder_op_new (FolderOpKind  kind,
               PigeonStore  *store,
               gint64        folder_id)
{
  FolderOp *op = g_new0 (FolderOp, 1);

  op->kind = kind;
  op->store = g_object_ref (store);
  op->folder_id = folder_id;
  return op;
}

static PigeonStore *
menu_store (PigeonFolderSidebar *self)
{
  PigeonSession *session = pigeon_folder_sidebar_session_for (self, self->menu_account_id);

  return session ? pigeon_session_get_store (session) : NULL;
}

static PigeonFolder *
menu_folder (PigeonFolderSidebar *self)
{
  PigeonStore *store = menu_store (self);

  if (store == NULL || self->menu_folder_id <= 0)
    return NULL;
  return pigeon_store_get_folder (store, self->menu_folder_id, NULL);
}

static GtkWindow *
toplevel_window (PigeonFolderSidebar *self)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));

  return GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL;
}

static void
mark_read_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  PigeonFolderSidebar *self = user_data;

  if (self->menu_kind == KIND_ALL_INBOXES)
    {
      for (guint i = 0; i < self->watched->len; i++)
        {
          WatchedSession *w = g_ptr_array_index (self->watched, i);
          g_autoptr(PigeonFolder) inbox = NULL;

          if (w->store != NULL)
            inbox = pigeon_store_get_folder_by_role (w->store, PIGEON_FOLDER_ROLE_INBOX, NULL);
          if (inbox != NULL)
            run_folder_op (self, folder_op_new (FOLDER_OP_MARK_READ, w->store, inbox->id));
        }
      return;
    }
  if (menu_store (self) != NULL && self->menu_folder_id > 0)
    run_folder_op (self, folder_op_new (FOLDER_OP_MARK_READ, menu_store (self),
                                        self->menu_folder_id));
}

static void
resync_action (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  PigeonFolderSidebar *self = user_data;
  PigeonSession *session = pigeon_folder_sidebar_session_for (self, self->menu_account_id);

  if (session != NULL && self->menu_folder_id > 0)
    pigeon_session_resync_folder (session, self->menu_folder_id);
}

static void
get_mail_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  PigeonFolderSidebar *self = user_data;
  PigeonSession *session = pigeon_folder_sidebar_session_for (self, self->menu_account_id);

  if (session != NULL)
    pigeon_session_sync_now (session);
}

/* The delimiter of the account's folders, "/" when it has none to copy. */
static char *
account_delimiter (PigeonStore *store)
{
  g_autoptr(GPtrArray) folders = pigeon_store_list_folders (store, NULL);

  for (guint i = 0; folders != NULL && i < folders->len; i++)
    {
      const PigeonFolder *folder = g_ptr_array_index (folders, i);

      if (folder->delimiter != NULL && *folder->delimiter != '\0')
        return g_strdup (folder->delimiter);
    }
  return g_strdup ("/");
}

static void
new_folder_response_cb (GtkDialog           *dialog,
                        int                  response,
                        PigeonFolderSidebar *self)
{
  const char *name = pigeon_name_dialog_get_name (PIGEON_NAME_DIALOG (dialog));
  PigeonStore *store = menu_store (self);

  if (response == GTK_RESPONSE_ACCEPT && store != NULL && *name != '\0')
    {
      g_autoptr(PigeonFolder) parent = menu_folder (self);
      FolderOp *op = folder_op_new (FOLDER_OP_CREATE, store, 0);

      op->delimiter = parent && parent->delimiter ? g_strdup (parent->delimiter)
                                                  : account_delimiter (store);
      op->path = parent ? g_strconcat (parent->path, op->delimiter, name, NULL)
                        : g_strdup (name);
      run_folder_op (self, op);
    }
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

static void
new_folder_action (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  PigeonFolderSidebar *self = user_data;
  g_autoptr(PigeonFolder) parent = menu_folder (self);
  g_autofree char *prompt = NULL;
  GtkWidget *dialog;

  if (menu_store (self) == NULL)
    return;
  prompt = parent ? g_strdup_printf (_("Name of the new folder in “%s”"), parent->name)
                  : g_strdup (_("Name of the new folder"));
  dialog = pigeon_name_dialog_new (toplevel_window (self), _("New Folder"), prompt, NULL,
                                   _("C_reate"));
  g_signal_connect (dialog, "response", G_CALLBACK (new_folder_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
rename_response_cb (GtkDialog           *dialog,
                    int                  response,
                    PigeonFolderSidebar *self)
{
  const char *name = pigeon_name_dialog_get_name (PIGEON_NAME_DIALOG (dialog));
  g_autoptr(PigeonFolder) folder = menu_folder (self);

  if (response == GTK_RESPONSE_ACCEPT && folder != NULL && *name != '\0')
    {
      FolderOp *op = folder_op_new (FOLDER_OP_RENAME, menu_store (self), folder->id);

      op->path = folder->parent_path
                   ? g_strconcat (folder->parent_path, folder->delimiter ? folder->delimiter
                                                                         : "/", name, NULL)
                   : g_strdup (name);
      run_folder_op (self, op);
    }
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

static void
rename_action (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  PigeonFolderSidebar *self = user_data;
  g_autoptr(PigeonFolder) folder = menu_folder (self);
  GtkWidget *dialog;

  if (folder == NULL)
    return;
  dialog = pigeon_name_dialog_new (toplevel_window (self), _("Rename Folder"),
                                   _("New name of the folder"), folder->name, _("_Rename"));
  g_signal_connect (dialog, "response", G_CALLBACK (rename_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
delete_response_cb (GtkDialog           *dialog,
                    int                  response,
                    PigeonFolderSidebar *self)
{
  if (response == GTK_RESPONSE_ACCEPT && menu_store (self) != NULL && self->menu_folder_id > 0)
    run_folder_op (self, folder_op_new (FOLDER_OP_DELETE, menu_store (self),
                                        self->menu_folder_id));
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

static void
delete_action (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  PigeonFolderSidebar *self = user_data;
  g_autoptr(PigeonFolder) folder = menu_folder (self);
  GtkWidget *dialog;

  if (folder == NULL)
    return;
  dialog = gtk_message_dialog_new (toplevel_window (self),
                                   GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                                   _("Delete the folder “%s”?"), folder->name);
  gtk_message_dialog_format_secondary_text (
    GTK_MESSAGE_DIALOG (dialog),
    ngettext ("The folder, the folders in it and its %'u message are deleted, on the server too.",
              "The folder, the folders in it and its %'u messages are deleted, on the server too.",
              folder->total),
    folder->total);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  gtk_style_context_add_class (
    gtk_widget_get_style_context (gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Delete"),
                                                         GTK_RESPONSE_ACCEPT)),
    "destructive-action");
  g_signal_connect (dialog, "response", G_CALLBACK (delete_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static const GActionEntry folder_actions[] = {
  { "mark-read", mark_read_action },
  { "resync", resync_action },
  { "get-mail", get_mail_action },
  { "new", new_folder_action },
  { "rename", rename_action },
  { "delete", delete_action },
};

static void
set_enabled (PigeonFolderSidebar *self,
             const char          *name,
             gboolean             enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self->actions), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static gboolean
popup_for_row (PigeonFolderSidebar *self,
               GtkTreePath         *path,
               const GdkEvent      *event)
{
  g_autoptr(PigeonFolder) folder = NULL;
  GtkTreeIter iter;
  GMenuModel *model;
  GdkRectangle area;
  gboolean is_inbox, has_store;

  if (!gtk_tree_model_get_iter (GTK_TREE_MODEL (self->store), &iter, path))
    return FALSE;
  g_clear_pointer (&self->menu_account_id, g_free);
  gtk_tree_model_get (GTK_TREE_MODEL (self->store), &iter,
                      COL_KIND, &self->menu_kind,
                      COL_ACCOUNT_ID, &self->menu_account_id,
                      COL_FOLDER_ID, &self->menu_folder_id,
                      -1);
  folder = menu_folder (self);
  is_inbox = folder != NULL && folder->role == PIGEON_FOLDER_ROLE_INBOX;
  has_store = menu_store (self) != NULL;

  set_enabled (self, "mark-read", (folder != NULL && folder->unread > 0) ||
                                  self->menu_kind == KIND_ALL_INBOXES);
  set_enabled (self, "resync",
               folder != NULL && (folder->flags & PIGEON_FOLDER_FLAG_NOSELECT) == 0);
  set_enabled (self, "get-mail", has_store);
  set_enabled (self, "new", has_store && (folder == NULL ||
                                          (folder->flags & PIGEON_FOLDER_FLAG_NOINFERIORS) == 0));
  set_enabled (self, "rename", folder != NULL && !is_inbox);
  set_enabled (self, "delete", folder != NULL && !is_inbox);

  model = self->menu_kind == KIND_ACCOUNT ? self->account_menu
          : self->menu_kind == KIND_ALL_INBOXES ? self->inboxes_menu
          : self->folder_menu;
  gtk_tree_view_get_cell_area (self->tree_view, path, NULL, &area);
  gtk_tree_view_convert_bin_window_to_widget_coords (self->tree_view, area.x, area.y,
                                                     &area.x, &area.y);
  pigeon_popup_menu (model, GTK_WIDGET (self->tree_view), event, &area);
  return TRUE;
}

gboolean
pigeon_folder_sidebar_button_press_cb (GtkTreeView         *tree_view,
                                       GdkEventButton      *event,
                                       PigeonFolderSidebar *self)
{
  g_autoptr(GtkTreePath) path = NULL;

  if (!gdk_event_triggers_context_menu ((GdkEvent *) event) ||
      !gtk_tree_view_get_path_at_pos (tree_view, event->x, event->y, &path, NULL, NULL, NULL))
    return GDK_EVENT_PROPAGATE;
  return popup_for_row (self, path, (GdkEvent *) event);
}

gboolean
pigeon_folder_sidebar_popup_menu_cb (GtkWidget           *widget,
                                     PigeonFolderSidebar *self)
{
  g_autoptr(GtkTreePath) path = NULL;

  gtk_tree_view_get_cursor (self->tree_view, &path, NULL);
  return path != NULL && popup_for_row (self, path, NULL);
}

void
pigeon_folder_sidebar_init_menu (PigeonFolderSidebar *self)
{
  self->actions = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self->actions), folder_actions,
                                   G_N_ELEMENTS (folder_actions), self);
  gtk_widget_insert_action_group (GTK_WIDGET (self), "folder", G_ACTION_GROUP (self->actions));
}
