/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-account"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "pigeon-account-manager.h"
#include "pigeon-error.h"

struct _PigeonAccountManager
{
  GObject parent_instance;

  char *config_dir;
  char *data_dir;
  GPtrArray *accounts;
  guint save_idle_id;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PigeonAccountManager, pigeon_account_manager, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

#define GROUP_PREFIX "Account "

static GType
get_item_type (GListModel *model)
{
  return PIGEON_TYPE_ACCOUNT;
}

static guint
get_n_items (GListModel *model)
{
  return PIGEON_ACCOUNT_MANAGER (model)->accounts->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  PigeonAccountManager *self = PIGEON_ACCOUNT_MANAGER (model);

  if (position >= self->accounts->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->accounts, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static char *
accounts_file (PigeonAccountManager *self)
{
  return g_build_filename (self->config_dir, "accounts.ini", NULL);
}

static gboolean
save_idle_cb (gpointer user_data)
{
  PigeonAccountManager *self = user_data;
  g_autoptr(GError) error = NULL;

  self->save_idle_id = 0;
  if (!pigeon_account_manager_save (self, &error))
    g_warning ("Could not save the account settings: %s", error->message);
  return G_SOURCE_REMOVE;
}

static void
account_notify_cb (PigeonAccount        *account,
                   GParamSpec           *pspec,
                   PigeonAccountManager *self)
{
  if (!pigeon_account_is_persisted_property (pspec->name))
    return;
  if (self->save_idle_id == 0)
    self->save_idle_id = g_idle_add (save_idle_cb, self);
}

static void
pigeon_account_manager_dispose (GObject *object)
{
  PigeonAccountManager *self = (PigeonAccountManager *) object;

  if (self->save_idle_id != 0)
    {
      g_autoptr(GError) error = NULL;

      g_clear_handle_id (&self->save_idle_id, g_source_remove);
      if (!pigeon_account_manager_save (self, &error))
        g_warning ("Could not save the account settings: %s", error->message);
    }
  for (guint i = 0; i < self->accounts->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->accounts, i), self);
  g_ptr_array_set_size (self->accounts, 0);

  G_OBJECT_CLASS (pigeon_account_manager_parent_class)->dispose (object);
}

static void
pigeon_account_manager_finalize (GObject *object)
{
  PigeonAccountManager *self = (PigeonAccountManager *) object;

  g_clear_pointer (&self->accounts, g_ptr_array_unref);
  g_clear_pointer (&self->config_dir, g_free);
  g_clear_pointer (&self->data_dir, g_free);

  G_OBJECT_CLASS (pigeon_account_manager_parent_class)->finalize (object);
}

static void
pigeon_account_manager_class_init (PigeonAccountManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pigeon_account_manager_dispose;
  object_class->finalize = pigeon_account_manager_finalize;
}

static void
pigeon_account_manager_init (PigeonAccountManager *self)
{
  self->accounts = g_ptr_array_new_with_free_func (g_object_unref);
}

PigeonAccountManager *
pigeon_account_manager_new (const char *config_dir,
                            const char *data_dir)
{
  PigeonAccountManager *self = g_object_new (PIGEON_TYPE_ACCOUNT_MANAGER, NULL);

  self->config_dir = config_dir ? g_strdup (config_dir)
                                : g_build_filename (g_get_user_config_dir (), "pigeon", NULL);
  self->data_dir = data_dir ? g_strdup (data_dir)
                            : g_build_filename (g_get_user_data_dir (), "pigeon", NULL);
  return self;
}

const char *
pigeon_account_manager_get_config_dir (PigeonAccountManager *self)
{
  g_return_val_if_fail (PIGEON_IS_ACCOUNT_MANAGER (self), NULL);
  return self->config_dir;
}

const char *
pigeon_account_manager_get_data_dir (PigeonAccountManager *self)
{
  g_return_val_if_fail (PIGEON_IS_ACCOUNT_MANAGER (self), NULL);
  return self->data_dir;
}

char *
pigeon_account_manager_dup_account_dir (PigeonAccountManager *self,
                                        PigeonAccount        *account)
{
  g_return_val_if_fail (PIGEON_IS_ACCOUNT_MANAGER (self), NULL);
  g_return_val_if_fail (PIGEON_IS_ACCOUNT (account), NULL);

  return g_build_filename (self->data_dir, pigeon_account_get_id (account), NULL);
}

static void
append_account (PigeonAccountManager *self,
                PigeonAccount        *account)
{
  g_ptr_array_add (self->accounts, g_object_ref (account));
  g_signal_connect (account, "notify", G_CALLBACK (account_notify_cb), self);
}

/* Keeps a damaged accounts.ini where the user can find it, and says so. */
static void
set_damaged_error (const char *path,
                   const char *what,
                   GError    **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *copy = g_strdup_printf ("%s.damaged-%s", path, stamp);
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (g_file_get_contents (path, &contents, &len, NULL) &&
      g_file_set_contents (copy, contents, len, NULL))
    g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONFIG,
                 _("The account settings in %s are damaged (%s). A copy was saved as %s."),
                 path, what, copy);
  else
    g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONFIG,
                 _("The account settings in %s are damaged (%s)."), path, what);
}

gboolean
pigeon_account_manager_load (PigeonAccountManager *self,
                             GError              **error)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *path = NULL;
  g_auto(GStrv) groups = NULL;
  g_autoptr(GString) bad = NULL;
  guint old_len;

  g_return_val_if_fail (PIGEON_IS_ACCOUNT_MANAGER (self), FALSE);

  path = accounts_file (self);
  old_len = self->accounts->len;
  for (guint i = 0; i < self->accounts->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->accounts, i), self);
  g_ptr_array_set_size (self->accounts, 0);

  if (!g_key_file_load_from_file (keyfile, path, G_KEY_FILE_KEEP_COMMENTS, &local_error))
    {
      if (old_len > 0)
        g_list_model_items_changed (G_LIST_MODEL (self), 0, old_len, 0);
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      if (local_error->domain == G_KEY_FILE_ERROR)
        set_damaged_error (path, local_error->message, error);
      else
        g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONFIG,
                     _("Could not read the account settings in %s: %s"), path,
                     local_error->message);
      return FALSE;
    }

  groups = g_key_file_get_groups (keyfile, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autoptr(PigeonAccount) account = NULL;
      g_autoptr(GError) account_error = NULL;
      const char *id;

      if (!g_str_has_prefix (groups[i], GROUP_PREFIX))
        continue;
      id = groups[i] + strlen (GROUP_PREFIX);
      if (*id == '\0' || strchr (id, '/') != NULL || pigeon_account_manager_lookup (self, id))
        {
          if (bad == NULL)
            bad = g_string_new (NULL);
          g_string_append_printf (bad, "%s[%s]", bad->len ? ", " : "", groups[i]);
          continue;
        }
      account = pigeon_account_new (id);
      if (!pigeon_account_load_from_keyfile (account, keyfile, groups[i], &account_error))
        {
          if (bad == NULL)
            bad = g_string_new (NULL);
          g_string_append_printf (bad, "%s[%s]: %s", bad->len ? ", " : "", groups[i],
                                  account_error->message);
          continue;
        }
      append_account (self, account);
    }

  if (old_len > 0 || self->accounts->len > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_len, self->accounts->len);

  if (bad != NULL)
    {
      set_damaged_error (path, bad->str, error);
      return FALSE;
    }
  return TRUE;
}

gboolean
pigeon_account_manager_save (PigeonAccountManager *self,
                             GError              **error)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *data = NULL;
  gsize len;

  g_return_val_if_fail (PIGEON_IS_ACCOUNT_MANAGER (self), FALSE);

  g_clear_handle_id (&self->save_idle_id, g_source_remove);

  g_key_file_set_comment (keyfile, NULL, NULL,
                          " Pigeon accounts. Passwords are kept in the desktop keyring, never here.",
                          NULL);
  for (guint i = 0; i < self->accounts->len; i++)
    {
      PigeonAccount *account = g_ptr_array_index (self->accounts, i);
      g_autofree char *group = g_strconcat (GROUP_PREFIX, pigeon_account_get_id (account), NULL);

      pigeon_account_save_to_keyfile (account, keyfile, group);
    }

  if (g_mkdir_with_parents (self->config_dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE,
                   _("Could not create the folder %s: %s"), self->config_dir,
                   g_strerror (saved));
      return FALSE;
    }

  path = accounts_file (self);
  data = g_key_file_to_data (keyfile, &len, NULL);
  /* g_file_set_contents writes a temporary file and renames it: atomic. */
  if (!g_file_set_contents_full (path, data, len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, &local_error))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE,
                   _("Could not save the account settings: %s"), local_error->message);
      return FALSE;
    }
  return TRUE;
}

PigeonAccount *
pigeon_account_manager_lookup (PigeonAccountManager *self,
                               const char           *id_or_name)
{
  g_return_val_if_fail (PIGEON_IS_ACCOUNT_MANAGER (self), NULL);

  if (id_or_name == NULL)
    return NULL;
  for (guint i = 0; i < self->accounts->len; i++)
    {
      PigeonAccount *account = g_ptr_array_index (self->accounts, i);
      if (g_strcmp0 (pigeon_account_get_id (account), id_or_name) == 0)
        return account;
    }
  for (guint i = 0; i < self->accounts->len; i++)
    {
      PigeonAccount *account = g_ptr_array_index (self->accounts, i);
      if (g_strcmp0 (pigeon_account_get_name (account), id_or_name) == 0)
        return account;
    }
  return NULL;
}

char *
pigeon_account_manager_dup_unused_id (PigeonAccountManager *self)
{
  g_return_val_if_fail (PIGEON_IS_ACCOUNT_MANAGER (self), NULL);

  for (;;)
    {
      g_autofree char *id = pigeon_account_generate_id ();
      g_autofree char *dir = g_build_filename (self->data_dir, id, NULL);

      if (pigeon_account_manager_lookup (self, id) == NULL &&
          !g_file_test (dir, G_FILE_TEST_EXISTS))
        return g_steal_pointer (&id);
    }
}

gboolean
pigeon_account_manager_add (PigeonAccountManager *self,
                            PigeonAccount        *account,
                            GError              **error)
{
  g_return_val_if_fail (PIGEON_IS_ACCOUNT_MANAGER (self), FALSE);
  g_return_val_if_fail (PIGEON_IS_ACCOUNT (account), FALSE);

  if (!pigeon_account_validate (account, error))
    return FALSE;
  if (pigeon_account_manager_lookup (self, pigeon_account_get_id (account)) != NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("An account with the id %s already exists"), pigeon_account_get_id (account));
      return FALSE;
    }
  if (pigeon_account_get_name (account) != NULL &&
      pigeon_account_manager_lookup (self, pigeon_account_get_name (account)) != NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("An account named “%s” already exists"), pigeon_account_get_name (account));
      return FALSE;
    }

  append_account (self, account);
  if (!pigeon_account_manager_save (self, error))
    {
      g_signal_handlers_disconnect_by_data (account, self);
      g_ptr_array_remove_index (self->accounts, self->accounts->len - 1);
      return FALSE;
    }
  g_list_model_items_changed (G_LIST_MODEL (self), self->accounts->len - 1, 0, 1);
  return TRUE;
}

static gboolean
remove_tree (GFile        *file,
             GCancellable *cancellable,
             GError      **error)
{
  g_autoptr(GFileEnumerator) enumerator = NULL;
  g_autoptr(GError) local_error = NULL;

  enumerator = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                          G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                          cancellable, &local_error);
  if (enumerator != NULL)
    {
      for (;;)
        {
          GFile *child = NULL;

          if (!g_file_enumerator_iterate (enumerator, NULL, &child, cancellable, error))
            return FALSE;
          if (child == NULL)
            break;
          if (!remove_tree (child, cancellable, error))
            return FALSE;
        }
    }
  else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      return TRUE;
    }

  g_clear_error (&local_error);
  if (!g_file_delete (file, cancellable, &local_error) &&
      !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

gboolean
pigeon_account_manager_remove (PigeonAccountManager *self,
                               PigeonAccount        *account,
                               GError              **error)
{
  g_autoptr(PigeonAccount) hold = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) local_error = NULL;
  guint position;

  g_return_val_if_fail (PIGEON_IS_ACCOUNT_MANAGER (self), FALSE);
  g_return_val_if_fail (PIGEON_IS_ACCOUNT (account), FALSE);

  if (!g_ptr_array_find (self->accounts, account, &position))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND, _("No such account"));
      return FALSE;
    }

  hold = g_object_ref (account);
  g_signal_handlers_disconnect_by_data (account, self);
  g_ptr_array_remove_index (self->accounts, position);
  if (!pigeon_account_manager_save (self, error))
    {
      g_ptr_array_insert (self->accounts, position, g_object_ref (account));
      g_signal_connect (account, "notify", G_CALLBACK (account_notify_cb), self);
      return FALSE;
    }
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);

  dir = pigeon_account_manager_dup_account_dir (self, account);
  file = g_file_new_for_path (dir);
  if (!remove_tree (file, NULL, &local_error))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE,
                   _("The account was removed, but its cache in %s could not be deleted: %s"),
                   dir, local_error->message);
      return FALSE;
    }
  return TRUE;
}
