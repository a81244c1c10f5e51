/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-folder-sidebar-private.h"

/* A quota this full gets a warning. */
#define QUOTA_WARNING_PERCENT 90

G_DEFINE_FINAL_TYPE (PigeonFolderSidebar, pigeon_folder_sidebar, GTK_TYPE_BIN)

static guint signals[N_SIGNALS];

static void rebuild_account (PigeonFolderSidebar *self, PigeonSession *session);
static void update_all_inboxes (PigeonFolderSidebar *self);

static void
watched_session_free (gpointer data)
{
  WatchedSession *w = data;

  g_signal_handlers_disconnect_by_data (w->session, w);
  g_signal_handlers_disconnect_by_data (pigeon_session_get_account (w->session), w);
  if (w->store != NULL)
    {
      g_signal_handlers_disconnect_by_data (w->store, w);
      g_object_unref (w->store);
    }
  g_object_unref (w->session);
  g_free (w);
}

static const char *
role_icon (PigeonFolderRole role)
{
  switch (role)
    {
    case PIGEON_FOLDER_ROLE_INBOX: return "pigeon-inbox-symbolic";
    case PIGEON_FOLDER_ROLE_SENT: return "mail-send-symbolic";
    case PIGEON_FOLDER_ROLE_DRAFTS: return "document-edit-symbolic";
    case PIGEON_FOLDER_ROLE_TRASH: return "user-trash-symbolic";
    case PIGEON_FOLDER_ROLE_JUNK: return "mail-mark-junk-symbolic";
    case PIGEON_FOLDER_ROLE_ARCHIVE: return "pigeon-archive-symbolic";
    case PIGEON_FOLDER_ROLE_NONE:
    default: return "folder-symbolic";
    }
}

/* Standard folders first, in the order people expect them, then the rest by name. */
static int
role_rank (PigeonFolderRole role)
{
  switch (role)
    {
    case PIGEON_FOLDER_ROLE_INBOX: return 0;
    case PIGEON_FOLDER_ROLE_DRAFTS: return 1;
    case PIGEON_FOLDER_ROLE_SENT: return 2;
    case PIGEON_FOLDER_ROLE_ARCHIVE: return 3;
    case PIGEON_FOLDER_ROLE_JUNK: return 4;
    case PIGEON_FOLDER_ROLE_TRASH: return 5;
    case PIGEON_FOLDER_ROLE_NONE:
    default: return 6;
    }
}

static int
compare_folders (gconstpointer a,
                 gconstpointer b)
{
  const PigeonFolder *fa = *(PigeonFolder * const *) a;
  const PigeonFolder *fb = *(PigeonFolder * const *) b;
  int ra = fa->parent_path ? 6 : role_rank (fa->role);
  int rb = fb->parent_path ? 6 : role_rank (fb->role);

  if (ra != rb)
    return ra - rb;
  return g_utf8_collate (fa->name, fb->name);
}

static char *
folder_display_name (const PigeonFolder *folder)
{
  /* The server's "INBOX" reads better as a word. */
  if (folder->role == PIGEON_FOLDER_ROLE_INBOX && folder->parent_path == NULL)
    return g_strdup (_("Inbox"));
  return g_strdup (folder->name);
}

static char *
count_markup (guint unread)
{
  if (unread == 0)
    return NULL;
  return g_markup_printf_escaped ("<small><b>%'u</b></small>", unread);
}

static gboolean
find_account_iter (PigeonFolderSidebar *self,
                   const char          *account_id,
                   GtkTreeIter         *iter)
{
  GtkTreeModel *model = GTK_TREE_MODEL (self->store);

  if (!gtk_tree_model_get_iter_first (model, iter))
    return FALSE;
  do
    {
      g_autofree char *id = NULL;
      int kind;

      gtk_tree_model_get (model, iter, COL_KIND, &kind, COL_ACCOUNT_ID, &id, -1);
      if (kind == KIND_ACCOUNT && g_strcmp0 (id, account_id) == 0)
        return TRUE;
    }
  while (gtk_tree_model_iter_next (model, iter));
  return FALSE;
}

static gboolean
find_all_inboxes_iter (PigeonFolderSidebar *self,
                       GtkTreeIter         *iter)
{
  int kind;

  if (!gtk_tree_model_get_iter_first (GTK_TREE_MODEL (self->store), iter))
    return FALSE;
  gtk_tree_model_get (GTK_TREE_MODEL (self->store), iter, COL_KIND, &kind, -1);
  return kind == KIND_ALL_INBOXES;
}

static gboolean
find_folder_iter_below (GtkTreeModel *model,
                        GtkTreeIter  *parent,
                        gint64        folder_id,
                        GtkTreeIter  *out)
{
  GtkTreeIter child;

  if (!gtk_tree_model_iter_children (model, &child, parent))
    return FALSE;
  do
    {
      gint64 id;

      gtk_tree_model_get (model, &child, COL_FOLDER_ID, &id, -1);
      if (id == folder_id)
        {
          *out = child;
          return TRUE;
        }
      if (find_folder_iter_below (model, &child, folder_id, out))
        return TRUE;
    }
  while (gtk_tree_model_iter_next (model, &child));
  return FALSE;
}

static void
set_folder_row (PigeonFolderSidebar *self,
                GtkTreeIter         *iter,
                const char          *account_id,
                const PigeonFolder  *folder)
{
  g_autofree char *name = folder_display_name (folder);
  g_autofree char *markup = NULL;
  g_autofree char *count = count_markup (folder->unread);

  if (folder->unread > 0)
    markup = g_markup_printf_escaped ("<b>%s</b>", name);
  else
    markup = g_markup_escape_text (name, -1);

  gtk_tree_store_set (self->store, iter,
                      COL_KIND, KIND_FOLDER,
                      COL_ACCOUNT_ID, account_id,
                      COL_FOLDER_ID, folder->id,
                      COL_ICON, role_icon (folder->role),
                      COL_MARKUP, markup,
                      COL_COUNT, count,
                      COL_TOOLTIP, folder->path,
                      -1);
}

/* "2.1 GB of 5 GB", and whether it is nearly full. */
static char *
quota_text (PigeonAccount *account,
            gboolean      *warning)
{
  guint64 used = pigeon_account_get_quota_used (account);
  guint64 limit = pigeon_account_get_quota_limit (account);
  g_autofree char *used_text = NULL;
  g_autofree char *limit_text = NULL;

  *warning = FALSE;
  if (limit == 0)
    return NULL;
  used_text = g_format_size (used);
  limit_text = g_format_size (limit);
  *warning = used >= limit / 100 * QUOTA_WARNING_PERCENT;
  if (*warning)
    /* Translators: the server's mailbox is nearly full: used space of the quota. */
    return g_strdup_printf (_("Almost full: %s of %s"), used_text, limit_text);
  /* Translators: used space of the server's quota, "2.1 GB of 5 GB". */
  return g_strdup_printf (_("%s of %s"), used_text, limit_text);
}

/* The account row: its name, plus what it is doing or what went wrong. */
static void
set_account_row (PigeonFolderSidebar *self,
                 GtkTreeIter         *iter,
                 PigeonSession       *session)
{
  PigeonAccount *account = pigeon_session_get_account (session);
  const GError *error = pigeon_session_get_store_error (session);
  const char *icon = "avatar-default-symbolic";
  g_autofree char *status = NULL;
  g_autofree char *markup = NULL;

  if (error == NULL)
    error = pigeon_account_get_last_error (account);
  if (error != NULL)
    {
      icon = "dialog-warning-symbolic";
      status = g_strdup (error->message);
    }
  else
    {
      switch (pigeon_account_get_state (account))
        {
        case PIGEON_ACCOUNT_STATE_OFFLINE:
          icon = "network-offline-symbolic";
          status = g_strdup (_("Offline"));
          break;
        case PIGEON_ACCOUNT_STATE_CONNECTING:
        case PIGEON_ACCOUNT_STATE_SYNCING:
          icon = "emblem-synchronizing-symbolic";
          status = g_strdup (pigeon_account_get_status_text (account));
          break;
        case PIGEON_ACCOUNT_STATE_ERROR:
        case PIGEON_ACCOUNT_STATE_IDLE:
        default:
          {
            gboolean warning;

            status = quota_text (account, &warning);
            if (warning)
              icon = "dialog-warning-symbolic";
          }
          break;
        }
      if (!pigeon_account_get_enabled (account) && status == NULL)
        status = g_strdup (_("Turned off"));
    }

  if (status != NULL)
    markup = g_markup_printf_escaped ("<b>%s</b>\n<small>%s</small>",
                                      pigeon_account_get_name (account), status);
  else
    markup = g_markup_printf_escaped ("<b>%s</b>", pigeon_account_get_name (account));

  gtk_tree_store_set (self->store, iter,
                      COL_KIND, KIND_ACCOUNT,
                      COL_ACCOUNT_ID, pigeon_account_get_id (account),
                      COL_FOLDER_ID, (gint64) 0,
                      COL_ICON, icon,
                      COL_MARKUP, markup,
                      COL_COUNT, NULL,
                      COL_TOOLTIP, status ? status : pigeon_account_get_email (account),
                      -1);
}

static void
selected_row (PigeonFolderSidebar *self,
              int                 *kind,
              char               **account_id,
              gint64              *folder_id)
{
  GtkTreeModel *model;
  GtkTreeIter iter;

  *kind = -1;
  *account_id = NULL;
  *folder_id = 0;
  if (gtk_tree_selection_get_selected (self->selection, &model, &iter))
    gtk_tree_model_get (model, &iter, COL_KIND, kind, COL_ACCOUNT_ID, account_id,
                        COL_FOLDER_ID, folder_id, -1);
}

static void
rebuild_account (PigeonFolderSidebar *self,
                 PigeonSession       *session)
{
  PigeonAccount *account = pigeon_session_get_account (session);
  const char *account_id = pigeon_account_get_id (account);
  PigeonStore *store = pigeon_session_get_store (session);
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GPtrArray) placed =
    g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_folder_free);
  g_autoptr(GHashTable) iters = NULL;
  g_autofree char *sel_account = NULL;
  gint64 sel_folder;
  int sel_kind;
  GtkTreeIter account_iter, child;
  gboolean reselected = FALSE;
  gboolean was_selected;

  if (!find_account_iter (self, account_id, &account_iter))
    return;

  selected_row (self, &sel_kind, &sel_account, &sel_folder);
  was_selected = sel_kind == KIND_FOLDER && g_strcmp0 (sel_account, account_id) == 0;
  self->rebuilding = TRUE;

  set_account_row (self, &account_iter, session);
  while (gtk_tree_model_iter_children (GTK_TREE_MODEL (self->store), &child, &account_iter))
    gtk_tree_store_remove (self->store, &child);

  if (store != NULL)
    {
      g_autoptr(GError) error = NULL;

      folders = pigeon_store_list_folders (store, &error);
      if (folders == NULL)
        g_warning ("%s: %s", pigeon_account_get_name (account), error->message);
    }

  if (folders != NULL)
    {
      iters = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                     (GDestroyNotify) gtk_tree_iter_free);
      g_ptr_array_sort (folders, compare_folders);

      /* Parents before children: a folder whose parent is not yet placed waits for a later
       * pass; one whose parent is missing altogether goes to the top. */
      for (guint pass = 0; pass < 16 && folders->len > 0; pass++)
        {
          for (guint i = 0; i < folders->len;)
            {
              PigeonFolder *folder = g_ptr_array_index (folders, i);
              GtkTreeIter *parent = &account_iter;
              GtkTreeIter iter;

              if (folder->parent_path != NULL)
                {
                  GtkTreeIter *p = g_hash_table_lookup (iters, folder->parent_path);
                  if (p != NULL)
                    parent = p;
                  else if (pass < 15)
                    {
                      i++;
                      continue;
                    }
                }
              gtk_tree_store_append (self->store, &iter, parent);
              set_folder_row (self, &iter, account_id, folder);
              g_hash_table_insert (iters, folder->path, gtk_tree_iter_copy (&iter));
              if (was_selected && sel_folder == folder->id)
                {
                  GtkTreePath *path = gtk_tree_model_get_path (GTK_TREE_MODEL (self->store),
                                                               &iter);

                  gtk_tree_view_expand_to_path (self->tree_view, path);
                  gtk_tree_path_free (path);
                  gtk_tree_selection_select_iter (self->selection, &iter);
                  reselected = TRUE;
                }
              /* PLACED keeps the folder alive: ITERS points at its path. */
              g_ptr_array_add (placed, g_ptr_array_steal_index (folders, i));
            }
        }
    }

  {
    g_autoptr(GtkTreePath) path = gtk_tree_model_get_path (GTK_TREE_MODEL (self->store),
                                                           &account_iter);
    gtk_tree_view_expand_row (self->tree_view, path, TRUE);
  }

  self->rebuilding = FALSE;
  update_all_inboxes (self);
  if (was_selected && !reselected)
    g_signal_emit (self, signals[SIGNAL_FOLDER_SELECTED], 0, NULL, (gint64) 0);
}

/* "All Inboxes" counts the unread messages of every inbox. */
static void
update_all_inboxes (PigeonFolderSidebar *self)
{
  g_autofree char *count = NULL;
  g_autofree char *markup = NULL;
  GtkTreeIter iter;
  guint unread = 0;

  if (!find_all_inboxes_iter (self, &iter))
    return;
  for (guint i = 0; i < self->watched->len; i++)
    {
      WatchedSession *w = g_ptr_array_index (self->watched, i);
      g_autoptr(PigeonFolder) inbox = NULL;

      if (w->store != NULL)
        inbox = pigeon_store_get_folder_by_role (w->store, PIGEON_FOLDER_ROLE_INBOX, NULL);
      if (inbox != NULL)
        unread += inbox->unread;
    }
  count = count_markup (unread);
  markup = unread > 0 ? g_markup_printf_escaped ("<b>%s</b>", _("All Inboxes"))
                      : g_markup_escape_text (_("All Inboxes"), -1);
  gtk_tree_store_set (self->store, &iter, COL_MARKUP, markup, COL_COUNT, count, -1);
}

static void
folder_updated_cb (PigeonStore    *store,
                   gint64          folder_id,
                   WatchedSession *w)
{
  PigeonFolderSidebar *self = w->sidebar;
  PigeonAccount *account = pigeon_session_get_account (w->session);
  g_autoptr(PigeonFolder) folder = NULL;
  g_autoptr(GError) error = NULL;
  GtkTreeIter account_iter, iter;

  if (!find_account_iter (self, pigeon_account_get_id (account), &account_iter) ||
      !find_folder_iter_below (GTK_TREE_MODEL (self->store), &account_iter, folder_id, &iter))
    return;
  folder = pigeon_store_get_folder (store, folder_id, &error);
  if (folder != NULL)
    set_folder_row (self, &iter, pigeon_account_get_id (account), folder);
  if (folder != NULL && folder->role == PIGEON_FOLDER_ROLE_INBOX)
    update_all_inboxes (self);
}

static void
folders_changed_cb (PigeonStore    *store,
                    WatchedSession *w)
{
  rebuild_account (w->sidebar, w->session);
}

static void
session_store_changed_cb (PigeonSession  *session,
                          GParamSpec     *pspec,
                          WatchedSession *w)
{
  PigeonStore *store = pigeon_session_get_store (session);

  if (w->store != store)
    {
      if (w->store != NULL)
        g_signal_handlers_disconnect_by_data (w->store, w);
      g_set_object (&w->store, store);
      if (store != NULL)
        {
          g_signal_connect (store, "folders-changed", G_CALLBACK (folders_changed_cb), w);
          g_signal_connect (store, "folder-updated", G_CALLBACK (folder_updated_cb), w);
        }
    }
  rebuild_account (w->sidebar, session);
}

static void
account_state_changed_cb (PigeonAccount  *account,
                          GParamSpec     *pspec,
                          WatchedSession *w)
{
  GtkTreeIter iter;

  if (find_account_iter (w->sidebar, pigeon_account_get_id (account), &iter))
    set_account_row (w->sidebar, &iter, w->session);
}

static void
rebuild_all (PigeonFolderSidebar *self)
{
  GListModel *accounts = G_LIST_MODEL (pigeon_application_get_manager (self->application));
  static const char *watched_properties[] = {
    "notify::name", "notify::state", "notify::status-text", "notify::last-error",
    "notify::quota-used", "notify::quota-limit", "notify::enabled",
  };
  GtkTreeIter iter;

  self->rebuilding = TRUE;
  g_ptr_array_set_size (self->watched, 0);
  gtk_tree_store_clear (self->store);

  if (g_list_model_get_n_items (accounts) > 0)
    {
      gtk_tree_store_append (self->store, &iter, NULL);
      gtk_tree_store_set (self->store, &iter,
                          COL_KIND, KIND_ALL_INBOXES,
                          COL_FOLDER_ID, PIGEON_FOLDER_SIDEBAR_ALL_INBOXES,
                          COL_ICON, "pigeon-inbox-symbolic",
                          COL_MARKUP, _("All Inboxes"),
                          COL_TOOLTIP, _("The inboxes of every account together"),
                          -1);
    }

  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr(PigeonAccount) account = g_list_model_get_item (accounts, i);
      PigeonSession *session = pigeon_application_get_session (self->application, account);
      WatchedSession *w;

      if (session == NULL)
        continue;
      gtk_tree_store_append (self->store, &iter, NULL);
      set_account_row (self, &iter, session);

      w = g_new0 (WatchedSession, 1);
      w->sidebar = self;
      w->session = g_object_ref (session);
      g_ptr_array_add (self->watched, w);
      g_signal_connect (session, "notify::store", G_CALLBACK (session_store_changed_cb), w);
      g_signal_connect (session, "notify::store-error", G_CALLBACK (session_store_changed_cb), w);
      for (guint k = 0; k < G_N_ELEMENTS (watched_properties); k++)
        g_signal_connect (account, watched_properties[k], G_CALLBACK (account_state_changed_cb),
                          w);
      session_store_changed_cb (session, NULL, w);
    }
  self->rebuilding = FALSE;
  update_all_inboxes (self);
}

static void
accounts_changed_cb (GListModel          *model,
                     guint                position,
                     guint                removed,
                     guint                added,
                     PigeonFolderSidebar *self)
{
  rebuild_all (self);
}

PigeonSession *
pigeon_folder_sidebar_session_for (PigeonFolderSidebar *self,
             const char          *account_id)
{
  PigeonAccount *account;

  if (account_id == NULL)
    return NULL;
  account = pigeon_account_manager_lookup (pigeon_application_get_manager (self->application),
                                           account_id);
  return account ? pigeon_application_get_session (self->application, account) : NULL;
}

static void
selection_changed_cb (GtkTreeSelection    *selection,
                      PigeonFolderSidebar *self)
{
  g_autofree char *account_id = NULL;
  gint64 folder_id;
  int kind;
  PigeonSession *session;

  if (self->rebuilding)
    return;
  selected_row (self, &kind, &account_id, &folder_id);
  if (kind == KIND_ALL_INBOXES)
    {
      g_signal_emit (self, signals[SIGNAL_FOLDER_SELECTED], 0, NULL,
                     PIGEON_FOLDER_SIDEBAR_ALL_INBOXES);
      return;
    }
  session = kind == KIND_FOLDER ? pigeon_folder_sidebar_session_for (self, account_id) : NULL;
  g_signal_emit (self, signals[SIGNAL_FOLDER_SELECTED], 0, session, session ? folder_id : 0);
}

void
pigeon_folder_sidebar_emit_error (PigeonFolderSidebar *self,
                                  const char          *title,
                                  const char          *message)
{
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, title, message);
}

/* Accounts are headings, not destinations. */
static gboolean
select_function (GtkTreeSelection *selection,
                 GtkTreeModel     *model,
                 GtkTreePath      *path,
                 gboolean          currently_selected,
                 gpointer          user_data)
{
  GtkTreeIter iter;
  int kind;

  gtk_tree_model_get_iter (model, &iter, path);
  gtk_tree_model_get (model, &iter, COL_KIND, &kind, -1);
  return kind != KIND_ACCOUNT;
}

/* ------------------------------------------------------------------ GObject */

static void
pigeon_folder_sidebar_dispose (GObject *object)
{
  PigeonFolderSidebar *self = (PigeonFolderSidebar *) object;

  if (self->application != NULL)
    {
      g_signal_handlers_disconnect_by_data (pigeon_application_get_manager (self->application),
                                            self);
      g_clear_object (&self->application);
    }
  if (self->watched != NULL)
    g_ptr_array_set_size (self->watched, 0);
  g_clear_object (&self->actions);

  G_OBJECT_CLASS (pigeon_folder_sidebar_parent_class)->dispose (object);
}

static void
pigeon_folder_sidebar_finalize (GObject *object)
{
  PigeonFolderSidebar *self = (PigeonFolderSidebar *) object;

  g_clear_pointer (&self->watched, g_ptr_array_unref);
  g_clear_pointer (&self->menu_account_id, g_free);

  G_OBJECT_CLASS (pigeon_folder_sidebar_parent_class)->finalize (object);
}

static void
pigeon_folder_sidebar_class_init (PigeonFolderSidebarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pigeon_folder_sidebar_dispose;
  object_class->finalize = pigeon_folder_sidebar_finalize;

  signals[SIGNAL_FOLDER_SELECTED] =
    g_signal_new ("folder-selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 2, PIGEON_TYPE_SESSION, G_TYPE_INT64);
  signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/pigeonmail/Pigeon/pigeon-folder-sidebar.ui");
  gtk_widget_class_bind_template_child (widget_class, PigeonFolderSidebar, tree_view);
  gtk_widget_class_bind_template_child (widget_class, PigeonFolderSidebar, store);
  gtk_widget_class_bind_template_child (widget_class, PigeonFolderSidebar, selection);
  gtk_widget_class_bind_template_child (widget_class, PigeonFolderSidebar, folder_menu);
  gtk_widget_class_bind_template_child (widget_class, PigeonFolderSidebar, account_menu);
  gtk_widget_class_bind_template_child (widget_class, PigeonFolderSidebar, inboxes_menu);
  gtk_widget_class_bind_template_callback (widget_class, selection_changed_cb);
  gtk_widget_class_bind_template_callback_full (widget_class, "button_press_cb",
                                                G_CALLBACK (pigeon_folder_sidebar_button_press_cb));
  gtk_widget_class_bind_template_callback_full (widget_class, "popup_menu_cb",
                                                G_CALLBACK (pigeon_folder_sidebar_popup_menu_cb));
}

static void
pigeon_folder_sidebar_init (PigeonFolderSidebar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->watched = g_ptr_array_new_with_free_func (watched_session_free);
  gtk_tree_selection_set_select_function (self->selection, select_function, NULL, NULL);

  pigeon_folder_sidebar_init_menu (self);
}

GtkWidget *
pigeon_folder_sidebar_new (void)
{
  return g_object_new (PIGEON_TYPE_FOLDER_SIDEBAR, NULL);
}

void
pigeon_folder_sidebar_set_application (PigeonFolderSidebar *self,
                                       PigeonApplication   *application)
{
  g_return_if_fail (PIGEON_IS_FOLDER_SIDEBAR (self));
  g_return_if_fail (PIGEON_IS_APPLICATION (application));
  g_return_if_fail (self->application == NULL);

  self->application = g_object_ref (application);
  g_signal_connect (pigeon_application_get_manager (application), "items-changed",
                    G_CALLBACK (accounts_changed_cb), self);
  rebuild_all (self);
}

static void
select_iter (PigeonFolderSidebar *self,
             GtkTreeIter         *iter)
{
  g_autoptr(GtkTreePath) path = gtk_tree_model_get_path (GTK_TREE_MODEL (self->store), iter);

  gtk_tree_view_expand_to_path (self->tree_view, path);
  gtk_tree_selection_select_iter (self->selection, iter);
  gtk_tree_view_scroll_to_cell (self->tree_view, path, NULL, FALSE, 0, 0);
}

gboolean
pigeon_folder_sidebar_select_folder (PigeonFolderSidebar *self,
                                     PigeonSession       *session,
                                     gint64               folder_id)
{
  GtkTreeIter account_iter, iter;

  g_return_val_if_fail (PIGEON_IS_FOLDER_SIDEBAR (self), FALSE);
  g_return_val_if_fail (PIGEON_IS_SESSION (session), FALSE);

  if (!find_account_iter (self, pigeon_account_get_id (pigeon_session_get_account (session)),
                          &account_iter) ||
      !find_folder_iter_below (GTK_TREE_MODEL (self->store), &account_iter, folder_id, &iter))
    return FALSE;
  select_iter (self, &iter);
  return TRUE;
}

void
pigeon_folder_sidebar_select_all_inboxes (PigeonFolderSidebar *self)
{
  GtkTreeIter iter;

  g_return_if_fail (PIGEON_IS_FOLDER_SIDEBAR (self));

  if (find_all_inboxes_iter (self, &iter))
    select_iter (self, &iter);
}

gboolean
pigeon_folder_sidebar_select_role (PigeonFolderSidebar *self,
                                   PigeonAccount       *account,
                                   int                  role)
{
  PigeonSession *session;
  PigeonStore *store;
  g_autoptr(PigeonFolder) folder = NULL;

  g_return_val_if_fail (PIGEON_IS_FOLDER_SIDEBAR (self), FALSE);

  session = pigeon_application_get_session (self->application, account);
  store = session ? pigeon_session_get_store (session) : NULL;
  if (store == NULL)
    return FALSE;
  folder = pigeon_store_get_folder_by_role (store, role, NULL);
  return folder != NULL && pigeon_folder_sidebar_select_folder (self, session, folder->id);
}
