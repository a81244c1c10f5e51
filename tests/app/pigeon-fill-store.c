/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-bench"

#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "pigeon-account-manager.h"
#include "pigeon-mime.h"
#include "pigeon-store.h"

/*
 * pigeon-fill-store (tests/app): puts a Maildir's messages into a new account's store, as if a sync
 * had brought them, so the window's benchmarks and GUI tests start from "already in the
 * store" without a server.  The account points at a port nobody listens on and is
 * disabled, so the window never tries to sync it.
 *
 *   pigeon-fill-store --config-dir C --data-dir D --maildir M [--folder INBOX]
 *                     [--name NAME] [--bodies N] [--extra-folders]
 */

#define BATCH 2000

static char *opt_config_dir;
static char *opt_data_dir;
static char *opt_maildir;
static char *opt_folder = "INBOX";
static char *opt_name = "Benchmark";
static int opt_bodies = 300;
static gboolean opt_extra_folders;

static const GOptionEntry entries[] = {
  { "config-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_config_dir, "Configuration directory", "DIR" },
  { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_data_dir, "Data directory", "DIR" },
  { "maildir", 0, 0, G_OPTION_ARG_FILENAME, &opt_maildir, "Maildir folder to import", "DIR" },
  { "folder", 0, 0, G_OPTION_ARG_STRING, &opt_folder, "Folder path in the store", "PATH" },
  { "name", 0, 0, G_OPTION_ARG_STRING, &opt_name, "Account name", "NAME" },
  { "bodies", 0, 0, G_OPTION_ARG_INT, &opt_bodies, "Bodies for the N newest messages", "N" },
  { "extra-folders", 0, 0, G_OPTION_ARG_NONE, &opt_extra_folders, "Add role and nested folders",
    NULL },
  { NULL }
};

typedef struct
{
  char  *path;
  gint64 mtime;
} MailFile;

static void
mail_file_clear (gpointer data)
{
  g_free (((MailFile *) data)->path);
}

static int
compare_newest_first (gconstpointer a,
                      gconstpointer b)
{
  const MailFile *fa = a;
  const MailFile *fb = b;

  if (fa->mtime != fb->mtime)
    return fa->mtime > fb->mtime ? -1 : 1;
  return strcmp (fb->path, fa->path);
}

static void
list_dir (GArray     *files,
          const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      MailFile f;
      GStatBuf st;

      f.path = g_build_filename (dir, name, NULL);
      if (g_stat (f.path, &st) != 0 || !S_ISREG (st.st_mode))
        {
          g_free (f.path);
          continue;
        }
      f.mtime = st.st_mtime;
      g_array_append_val (files, f);
    }
}

static PigeonMessageFlags
flags_from_name (const char *path)
{
  const char *info = strstr (path, ":2,");
  PigeonMessageFlags flags = 0;

  if (info == NULL)
    return 0;
  for (const char *p = info + 3; *p; p++)
    switch (*p)
      {
      case 'S': flags |= PIGEON_MESSAGE_FLAG_SEEN; break;
      case 'F': flags |= PIGEON_MESSAGE_FLAG_FLAGGED; break;
      case 'R': flags |= PIGEON_MESSAGE_FLAG_ANSWERED; break;
      case 'D': flags |= PIGEON_MESSAGE_FLAG_DRAFT; break;
      default: break;
      }
  return flags;
}

static gint64
add_folder (PigeonStore     *store,
            const char      *path,
            PigeonFolderRole role,
            GError         **error)
{
  g_autoptr(PigeonFolder) folder = pigeon_folder_new ();
  const char *slash = strrchr (path, '/');

  folder->path = g_strdup (path);
  folder->name = g_strdup (slash ? slash + 1 : path);
  folder->parent_path = slash ? g_strndup (path, slash - path) : NULL;
  folder->delimiter = g_strdup ("/");
  folder->role = role;
  folder->flags = PIGEON_FOLDER_FLAG_SUBSCRIBED;
  folder->uidvalidity = 1;
  return pigeon_store_upsert_folder (store, folder, error);
}

static gboolean
fill (GError **error)
{
  g_autoptr(PigeonAccountManager) manager = NULL;
  g_autoptr(PigeonAccount) account = NULL;
  g_autoptr(PigeonStore) store = NULL;
  g_autoptr(GArray) files = g_array_new (FALSE, FALSE, sizeof (MailFile));
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GArray) with_body = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) raws = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autofree char *id = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *cur = NULL;
  g_autofree char *new_dir = NULL;
  gint64 folder_id;
  gint64 started = g_get_monotonic_time ();

  manager = pigeon_account_manager_new (opt_config_dir, opt_data_dir);
  if (!pigeon_account_manager_load (manager, error))
    return FALSE;
  id = pigeon_account_manager_dup_unused_id (manager);
  account = pigeon_account_new (id);
  g_object_set (account,
                "name", opt_name,
                "real-name", "Bench Reader",
                "email", "reader@example.test",
                "protocol", "imap",
                "host", "127.0.0.1",
                "port", (guint) 1,
                "security", PIGEON_SECURITY_TLS,
                "enabled", FALSE,
                NULL);
  if (!pigeon_account_manager_add (manager, account, error))
    return FALSE;

  dir = pigeon_account_manager_dup_account_dir (manager, account);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "Could not create %s: %s", dir, g_strerror (errno));
      return FALSE;
    }
  store = pigeon_store_open (dir, error);
  if (store == NULL)
    return FALSE;

  folder_id = add_folder (store, opt_folder,
                          g_ascii_strcasecmp (opt_folder, "INBOX") == 0
                            ? PIGEON_FOLDER_ROLE_INBOX : PIGEON_FOLDER_ROLE_NONE, error);
  if (folder_id == 0)
    return FALSE;
  if (opt_extra_folders)
    {
      static const struct { const char *path; PigeonFolderRole role; } extra[] = {
        { "Sent", PIGEON_FOLDER_ROLE_SENT }, { "Drafts", PIGEON_FOLDER_ROLE_DRAFTS },
        { "Archive", PIGEON_FOLDER_ROLE_ARCHIVE }, { "Junk", PIGEON_FOLDER_ROLE_JUNK },
        { "Trash", PIGEON_FOLDER_ROLE_TRASH }, { "Projects", PIGEON_FOLDER_ROLE_NONE },
        { "Projects/Pigeon", PIGEON_FOLDER_ROLE_NONE },
        { "Projects/Pigeon/Design", PIGEON_FOLDER_ROLE_NONE },
      };

      for (guint i = 0; i < G_N_ELEMENTS (extra); i++)
        if (add_folder (store, extra[i].path, extra[i].role, error) == 0)
          return FALSE;
    }

  cur = g_build_filename (opt_maildir, "cur", NULL);
  new_dir = g_build_filename (opt_maildir, "new", NULL);
  g_array_set_clear_func (files, mail_file_clear);
  list_dir (files, cur);
  list_dir (files, new_dir);
  g_array_sort (files, compare_newest_first);

  batch = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_message_free);
  for (guint i = 0; i < files->len; i++)
    {
      const MailFile *f = &g_array_index (files, MailFile, i);
      g_autofree char *contents = NULL;
      gsize length;
      g_autoptr(GBytes) raw = NULL;
      PigeonMessage *message;

      if (!g_file_get_contents (f->path, &contents, &length, error))
        return FALSE;
      raw = g_bytes_new_take (g_steal_pointer (&contents), length);
      message = pigeon_mime_parse_envelope (raw, NULL);
      if (message == NULL)
        continue;
      message->uidvalidity = 1;
      message->uid = files->len - i;
      message->flags = flags_from_name (f->path);
      message->internal_date = f->mtime;
      if (message->date == 0)
        message->date = f->mtime;
      g_ptr_array_add (batch, message);
      g_ptr_array_add (raws, (i < (guint) opt_bodies) ? g_bytes_ref (raw) : NULL);

      if (batch->len == BATCH || i + 1 == files->len)
        {
          if (!pigeon_store_upsert_messages (store, folder_id, batch, error))
            return FALSE;
          for (guint j = 0; j < batch->len; j++)
            if (g_ptr_array_index (raws, j) != NULL &&
                !pigeon_store_set_body (store, ((PigeonMessage *) g_ptr_array_index (batch, j))->id,
                                        g_ptr_array_index (raws, j), error))
              return FALSE;
          g_ptr_array_set_size (batch, 0);
          g_ptr_array_set_size (raws, 0);
        }
    }

  pigeon_store_close (store);
  g_printerr ("pigeon-fill-store: %u messages into %s of account %s in %.1f s\n",
              files->len, opt_folder, id, (g_get_monotonic_time () - started) / 1e6);
  printf ("%s\n", id);
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- fill a Pigeon store from a Maildir");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("pigeon-fill-store: %s\n", error->message);
      return 2;
    }
  if (opt_config_dir == NULL || opt_data_dir == NULL || opt_maildir == NULL)
    {
      g_printerr ("pigeon-fill-store: --config-dir, --data-dir and --maildir are required\n");
      return 2;
    }
  pigeon_mime_init ();
  if (!fill (&error))
    {
      g_printerr ("pigeon-fill-store: %s\n", error->message);
      return 1;
    }
  return 0;
}
