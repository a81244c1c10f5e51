/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-store"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "pigeon-error.h"
#include "pigeon-store-private.h"
#include "pigeon-store-resources.h"

#define MIGRATIONS_PATH "/io/github/pigeonmail/Pigeon/store/migrations"
#define BUSY_TIMEOUT_MS 10000
#define MAX_IDLE_READERS 4

/* A connection and its prepared statements.  Used by one thread at a time: the writer by
 * the worker only, a reader by whoever took it from the pool. */
typedef struct
{
  sqlite3    *db;
  GHashTable *stmts;  /* SQL literal (by address) -> sqlite3_stmt* */
} StoreConn;

/* The connection the calling thread is working on, so the statement cache can be found
 * from a bare sqlite3 pointer. */
static GPrivate current_conn;

/* A unit of work for the worker: a write (FUNC set) or the order to stop (FUNC NULL). */
typedef struct
{
  PigeonStore    *store;
  PigeonStoreFunc func;
  gpointer        data;
  GDestroyNotify  data_destroy;
  /* asynchronous callers */
  GTask          *task;
  /* blocking callers wait on this */
  GMutex          lock;
  GCond           cond;
  gboolean        done;
  gboolean        ok;
  GError         *error;
} StoreJob;

/* Owned by the worker thread; outlives the store when the last reference is dropped on
 * the worker itself. */
typedef struct
{
  GAsyncQueue *queue;
  StoreConn   *conn;
} StoreWorker;

/* What the running transaction changed (worker thread only). */
typedef struct
{
  gboolean    folders_changed;
  gboolean    pending_ops;
  gboolean    outbox;
  GHashTable *updated_folders;  /* gint64* set */
  GHashTable *messages;         /* gint64* folder id -> GHashTable (gint64* id -> kind) */
} StoreNotes;

struct _PigeonStore
{
  GObject       parent_instance;

  char         *dir;
  char         *path;
  GMainContext *context;

  GThread      *worker_thread;
  GAsyncQueue  *queue;
  GMutex        queue_lock;  /* guards closed against the queue */
  gboolean      closed;

  GMutex        readers_lock;
  GPtrArray    *idle_readers;  /* StoreConn* */

  StoreNotes   *notes;  /* worker thread only, during a transaction */
};

G_DEFINE_FINAL_TYPE (PigeonStore, pigeon_store, G_TYPE_OBJECT)

enum {
  FOLDERS_CHANGED,
  FOLDER_UPDATED,
  MESSAGES_CHANGED,
  PENDING_OPS_CHANGED,
  OUTBOX_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------ errors */

static void
set_sqlite_error (const char *path,
                  sqlite3    *db,
                  int         rc,
                  GError    **error)
{
  const char *detail = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);

  switch (rc & 0xff)
    {
    case SQLITE_FULL:
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE,
                   _("The disk is full: Pigeon could not save changes to its mail cache "
                     "“%s”. Free some disk space and try again."), path);
      break;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE,
                   _("The mail cache “%s” is damaged (%s). Pigeon has left the file as it "
                     "is. Move it elsewhere (or remove the account and add it again) to "
                     "download this account's mail anew."), path, detail);
      break;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE,
                   _("Pigeon cannot write its mail cache “%s” (%s). Check that the folder "
                     "exists and that you may write to it."), path, detail);
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE,
                   _("The mail cache “%s” is in use by another program. Close other "
                     "copies of Pigeon and try again."), path);
      break;
    case SQLITE_IOERR:
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE,
                   _("Pigeon could not read or write its mail cache “%s” (%s). Check the "
                     "disk and try again."), path, detail);
      break;
    case SQLITE_CONSTRAINT:
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("That change would conflict with what the mail cache already holds "
                     "(%s)."), detail);
      break;
    default:
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE,
                   _("The mail cache “%s” reported an error: %s."), path, detail);
      break;
    }
}

void
pigeon_store_set_sqlite_error (PigeonStore *self,
                               sqlite3     *db,
                               int          rc,
                               GError     **error)
{
  g_return_if_fail (PIGEON_IS_STORE (self));

  set_sqlite_error (self->path, db, rc, error);
}

void
pigeon_store_set_message_not_found (GError **error)
{
  g_set_error_literal (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                       _("The message is no longer there; it may have been moved or "
                         "deleted in the meantime."));
}

void
pigeon_store_set_folder_not_found (GError **error)
{
  g_set_error_literal (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                       _("The folder is no longer there; it may have been renamed or "
                         "deleted in the meantime."));
}

static void
set_closed_error (GError **error)
{
  g_set_error_literal (error, PIGEON_ERROR, PIGEON_ERROR_FAILED,
                       _("The account's mail cache has been closed."));
}

/* ------------------------------------------------------------------ connections */

static void
finalize_stmt (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

static StoreConn *
store_conn_new (sqlite3 *db)
{
  StoreConn *conn = g_new0 (StoreConn, 1);

  conn->db = db;
  conn->stmts = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, finalize_stmt);
  return conn;
}

static void
store_conn_free (StoreConn *conn)
{
  if (conn == NULL)
    return;
  g_hash_table_unref (conn->stmts);
  sqlite3_close (conn->db);
  g_free (conn);
}

PigeonStmt *
pigeon_store_prepare (PigeonStore *self,
                      sqlite3     *db,
                      const char  *sql,
                      GError     **error)
{
  StoreConn *conn = g_private_get (&current_conn);
  sqlite3_stmt *stmt;
  int rc;

  g_assert (conn != NULL && conn->db == db);

  stmt = g_hash_table_lookup (conn->stmts, sql);
  if (stmt != NULL)
    {
      /* The cache hands out each statement once at a time; code never nests the same
       * SQL, and a statement is reset when released. */
      g_assert (!sqlite3_stmt_busy (stmt));
      return stmt;
    }

  rc = sqlite3_prepare_v3 (db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      pigeon_store_set_sqlite_error (self, db, rc, error);
      return NULL;
    }
  g_hash_table_insert (conn->stmts, (gpointer) sql, stmt);
  return stmt;
}

void
pigeon_stmt_release (PigeonStmt *stmt)
{
  if (stmt == NULL)
    return;
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

gboolean
pigeon_store_step (PigeonStore *self,
                   sqlite3     *db,
                   PigeonStmt  *stmt,
                   gboolean    *has_row,
                   GError     **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    {
      *has_row = rc == SQLITE_ROW;
      return TRUE;
    }
  *has_row = FALSE;
  pigeon_store_set_sqlite_error (self, db, rc, error);
  return FALSE;
}

gboolean
pigeon_store_step_done (PigeonStore *self,
                        sqlite3     *db,
                        PigeonStmt  *stmt,
                        GError     **error)
{
  gboolean has_row = TRUE;

  while (has_row)
    {
      if (!pigeon_store_step (self, db, stmt, &has_row, error))
        return FALSE;
    }
  return TRUE;
}

/* Steps STMT until it is done, handing each row to ROW_FUNC. */
static gboolean
step_each (PigeonStore *self,
           sqlite3     *db,
           PigeonStmt  *stmt,
           void       (*row_func) (PigeonStmt *stmt,
                                   gpointer    user_data),
           gpointer     user_data,
           GError     **error)
{
  for (;;)
    {
      gboolean has_row;

      if (!pigeon_store_step (self, db, stmt, &has_row, error))
        return FALSE;
      if (!has_row)
        return TRUE;
      row_func (stmt, user_data);
    }
}

static void
append_id (PigeonStmt *stmt,
           gpointer    user_data)
{
  gint64 id = sqlite3_column_int64 (stmt, 0);

  g_array_append_val ((GArray *) user_data, id);
}

gboolean
pigeon_store_step_collect_ids (PigeonStore *self,
                               sqlite3     *db,
                               PigeonStmt  *stmt,
                               GArray      *ids,
                               GError     **error)
{
  return step_each (self, db, stmt, append_id, ids, error);
}

static void
note_removed (PigeonStmt *stmt,
              gpointer    user_data)
{
  pigeon_store_note_message (user_data, sqlite3_column_int64 (stmt, 1),
                             sqlite3_column_int64 (stmt, 0), 'r');
}

gboolean
pigeon_store_step_removed (PigeonStore *self,
                           sqlite3     *db,
                           PigeonStmt  *stmt,
                           GError     **error)
{
  return step_each (self, db, stmt, note_removed, self, error);
}

gboolean
pigeon_store_exec (PigeonStore *self,
                   sqlite3     *db,
                   const char  *sql,
                   GError     **error)
{
  return pigeon_store_exec_ints (self, db, sql, NULL, 0, error);
}

/* SQL from the cache with ?1 … ?N_ARGS bound to ARGS; NULL with ERROR set if it fails. */
static PigeonStmt *
prepare_ints (PigeonStore  *self,
              sqlite3      *db,
              const char   *sql,
              const gint64 *args,
              guint         n_args,
              GError      **error)
{
  PigeonStmt *stmt = pigeon_store_prepare (self, db, sql, error);

  for (guint i = 0; stmt != NULL && i < n_args; i++)
    sqlite3_bind_int64 (stmt, (int) i + 1, args[i]);
  return stmt;
}

gboolean
pigeon_store_exec_ints (PigeonStore  *self,
                        sqlite3      *db,
                        const char   *sql,
                        const gint64 *args,
                        guint         n_args,
                        GError      **error)
{
  g_autoptr(PigeonStmt) stmt = prepare_ints (self, db, sql, args, n_args, error);

  return stmt != NULL && pigeon_store_step_done (self, db, stmt, error);
}

/* Steps STMT (NULL when it could not be prepared) once for the query_int calls. */
static gboolean
step_int (PigeonStore *self,
          sqlite3     *db,
          PigeonStmt  *stmt,
          gint64      *value,
          gboolean    *found,
          GError     **error)
{
  gboolean has_row;

  if (value != NULL)
    *value = 0;
  if (found != NULL)
    *found = FALSE;
  if (stmt == NULL || !pigeon_store_step (self, db, stmt, &has_row, error))
    return FALSE;
  if (has_row && value != NULL)
    *value = sqlite3_column_int64 (stmt, 0);
  if (found != NULL)
    *found = has_row;
  return TRUE;
}

gboolean
pigeon_store_exec_removed (PigeonStore  *self,
                           sqlite3      *db,
                           const char   *sql,
                           const gint64 *args,
                           guint         n_args,
                           GError      **error)
{
  g_autoptr(PigeonStmt) stmt = prepare_ints (self, db, sql, args, n_args, error);

  return stmt != NULL && pigeon_store_step_removed (self, db, stmt, error);
}

gboolean
pigeon_store_query_int (PigeonStore  *self,
                        sqlite3      *db,
                        const char   *sql,
                        const gint64 *args,
                        guint         n_args,
                        gint64       *value,
                        gboolean     *found,
                        GError      **error)
{
  g_autoptr(PigeonStmt) stmt = prepare_ints (self, db, sql, args, n_args, error);

  return step_int (self, db, stmt, value, found, error);
}

gboolean
pigeon_store_query_int_by_text (PigeonStore *self,
                                sqlite3     *db,
                                const char  *sql,
                                const char  *text,
                                gint64      *value,
                                gboolean    *found,
                                GError     **error)
{
  g_autoptr(PigeonStmt) stmt = pigeon_store_prepare (self, db, sql, error);

  if (stmt != NULL)
    pigeon_stmt_bind_text (stmt, 1, text);
  return step_int (self, db, stmt, value, found, error);
}

void
pigeon_stmt_bind_text (PigeonStmt *stmt,
                       int         index,
                       const char *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
}

char *
pigeon_stmt_dup_text (PigeonStmt *stmt,
                      int         column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

typedef struct
{
  PigeonRowFunc  from_row;
  GPtrArray     *into;
} CollectRows;

static void
add_row (PigeonStmt *stmt,
         gpointer    user_data)
{
  CollectRows *cr = user_data;

  g_ptr_array_add (cr->into, cr->from_row (stmt));
}

gboolean
pigeon_store_collect_rows (PigeonStore  *self,
                           sqlite3      *db,
                           PigeonStmt   *stmt,
                           PigeonRowFunc from_row,
                           GPtrArray    *into,
                           GError      **error)
{
  CollectRows cr = { from_row, into };

  return step_each (self, db, stmt, add_row, &cr, error);
}

gint64
pigeon_store_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* ------------------------------------------------------------------ migrations */

typedef struct
{
  guint  version;
  char  *resource;
} Migration;

static void
migration_clear (gpointer data)
{
  g_free (((Migration *) data)->resource);
}

static gint
migration_compare (gconstpointer a,
                   gconstpointer b)
{
  const Migration *ma = a, *mb = b;

  return (ma->version > mb->version) - (ma->version < mb->version);
}

/* The numbered .sql files compiled into the resource, in order. */
static GArray *
list_migrations (void)
{
  static GArray *migrations;

  if (g_once_init_enter (&migrations))
    {
      GArray *list = g_array_new (FALSE, TRUE, sizeof (Migration));
      g_auto(GStrv) names = NULL;

      g_array_set_clear_func (list, migration_clear);
      /* Our own resource, asked directly: nothing depends on it being registered (a
       * static library's constructor may never be linked in). */
      names = g_resource_enumerate_children (pigeon_store_get_resource (), MIGRATIONS_PATH,
                                             G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
      for (guint i = 0; names != NULL && names[i] != NULL; i++)
        {
          Migration m;
          char *end = NULL;
          guint64 version = g_ascii_strtoull (names[i], &end, 10);

          if (end == names[i] || version == 0 || !g_str_has_suffix (names[i], ".sql"))
            continue;
          m.version = (guint) version;
          m.resource = g_build_path ("/", MIGRATIONS_PATH, names[i], NULL);
          g_array_append_val (list, m);
        }
      g_array_sort (list, migration_compare);
      for (guint i = 0; i < list->len; i++)
        g_assert (g_array_index (list, Migration, i).version == i + 1);
      g_once_init_leave (&migrations, list);
    }
  return migrations;
}

guint
pigeon_store_schema_version (void)
{
  GArray *migrations = list_migrations ();

  return migrations->len;
}

static gboolean
exec_plain (const char *path,
            sqlite3    *db,
            const char *sql,
            GError    **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (path, db, rc, error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
query_int (const char *path,
           sqlite3    *db,
           const char *sql,
           gint64     *out,
           GError    **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      set_sqlite_error (path, db, rc, error);
      sqlite3_finalize (stmt);
      return FALSE;
    }
  *out = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return TRUE;
}

static void
rollback_if_open (sqlite3 *db)
{
  if (!sqlite3_get_autocommit (db))
    sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
}

static gboolean
migrate (const char *path,
         sqlite3    *db,
         guint       from_version,
         GError    **error)
{
  GArray *migrations = list_migrations ();

  for (guint i = from_version; i < migrations->len; i++)
    {
      const Migration *m = &g_array_index (migrations, Migration, i);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autofree char *sql = NULL;
      g_autofree char *set_version = NULL;

      bytes = g_resource_lookup_data (pigeon_store_get_resource (), m->resource,
                                      G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
      g_assert (bytes != NULL);
      sql = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      set_version = g_strdup_printf ("PRAGMA user_version = %u", m->version);

      if (!exec_plain (path, db, "BEGIN IMMEDIATE", &local_error) ||
          !exec_plain (path, db, sql, &local_error) ||
          !exec_plain (path, db, set_version, &local_error) ||
          !exec_plain (path, db, "COMMIT", &local_error))
        {
          rollback_if_open (db);
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                      _("Pigeon could not bring its mail cache up to "
                                        "date (step %u): "), m->version);
          return FALSE;
        }
      g_debug ("%s: migrated to schema %u", path, m->version);
    }
  return TRUE;
}

/* ------------------------------------------------------------------ opening */

/* Before SQLite's first use in the process: no global memory statistics, whose mutex
 * every allocation would take.  Too late (SQLITE_MISUSE) is harmless. */
static void
configure_sqlite_once (void)
{
  static gsize done;

  if (g_once_init_enter (&done))
    {
      sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
      g_once_init_leave (&done, 1);
    }
}

static sqlite3 *
open_writer (const char *path,
             GError    **error)
{
  sqlite3 *db = NULL;
  gint64 version = 0;
  int rc;
  guint known = pigeon_store_schema_version ();

  configure_sqlite_once ();
  rc = sqlite3_open_v2 (path, &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (path, db, rc, error);
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_extended_result_codes (db, 1);
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);

  /* Reading the version reads the file header: a damaged file shows here, before any
   * setting is changed in it. */
  if (!query_int (path, db, "PRAGMA user_version", &version, error))
    goto fail;
  if (version > known)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_STORE_TOO_NEW,
                   _("The mail cache “%s” was written by a newer version of Pigeon "
                     "(format %d, this version knows up to %u). Update "
                     "Pigeon to use this account, or remove the account and add it again "
                     "to start afresh."), path, (int) MIN (version, G_MAXINT), known);
      goto fail;
    }

  if (!exec_plain (path, db,
                   "PRAGMA journal_mode = WAL;"
                   "PRAGMA synchronous = NORMAL;"
                   "PRAGMA foreign_keys = ON;"
                   "PRAGMA temp_store = MEMORY;"
                   "PRAGMA cache_size = -16384;",
                   error))
    goto fail;

  if (!migrate (path, db, (guint) version, error))
    goto fail;

  return db;

fail:
  sqlite3_close (db);
  return NULL;
}

static StoreConn *
open_reader (PigeonStore *self,
             GError     **error)
{
  sqlite3 *db = NULL;
  int rc;

  rc = sqlite3_open_v2 (self->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      pigeon_store_set_sqlite_error (self, db, rc, error);
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_extended_result_codes (db, 1);
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);
  return store_conn_new (db);
}

/* ------------------------------------------------------------------ change notes */

static void
notes_free (StoreNotes *notes)
{
  if (notes == NULL)
    return;
  g_hash_table_unref (notes->updated_folders);
  g_hash_table_unref (notes->messages);
  g_free (notes);
}

static StoreNotes *
notes_new (void)
{
  StoreNotes *notes = g_new0 (StoreNotes, 1);

  notes->updated_folders = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  notes->messages = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                           (GDestroyNotify) g_hash_table_unref);
  return notes;
}

static StoreNotes *
current_notes (PigeonStore *self)
{
  g_return_val_if_fail (g_thread_self () == self->worker_thread, NULL);
  g_return_val_if_fail (self->notes != NULL, NULL);
  return self->notes;
}

void
pigeon_store_note_folders_changed (PigeonStore *self)
{
  StoreNotes *notes;

  g_return_if_fail (PIGEON_IS_STORE (self));
  if ((notes = current_notes (self)) != NULL)
    notes->folders_changed = TRUE;
}

void
pigeon_store_note_folder_updated (PigeonStore *self,
                                  gint64       folder_id)
{
  StoreNotes *notes;

  g_return_if_fail (PIGEON_IS_STORE (self));
  if ((notes = current_notes (self)) == NULL)
    return;
  if (!g_hash_table_contains (notes->updated_folders, &folder_id))
    g_hash_table_add (notes->updated_folders, g_memdup2 (&folder_id, sizeof folder_id));
}

/* Folds KIND into what the transaction already noted for the row: added then updated
 * is added, added then removed is nothing, removed then added (a reused id) is updated. */
void
pigeon_store_note_message (PigeonStore *self,
                           gint64       folder_id,
                           gint64       message_id,
                           char         kind)
{
  StoreNotes *notes;
  GHashTable *rows;
  char old;

  g_return_if_fail (PIGEON_IS_STORE (self));
  g_return_if_fail (kind == 'a' || kind == 'u' || kind == 'r');
  if ((notes = current_notes (self)) == NULL)
    return;

  pigeon_store_note_folder_updated (self, folder_id);
  rows = g_hash_table_lookup (notes->messages, &folder_id);
  if (rows == NULL)
    {
      rows = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
      g_hash_table_insert (notes->messages, g_memdup2 (&folder_id, sizeof folder_id), rows);
    }

  old = (char) GPOINTER_TO_INT (g_hash_table_lookup (rows, &message_id));
  if (old == 'a' && kind == 'u')
    return;
  if (old == 'a' && kind == 'r')
    {
      g_hash_table_remove (rows, &message_id);
      return;
    }
  if (old == 'r' && kind == 'a')
    kind = 'u';
  if (old != 0)
    g_hash_table_replace (rows, g_memdup2 (&message_id, sizeof message_id),
                          GINT_TO_POINTER ((int) kind));
  else
    g_hash_table_insert (rows, g_memdup2 (&message_id, sizeof message_id),
                         GINT_TO_POINTER ((int) kind));
}

void
pigeon_store_note_pending_ops (PigeonStore *self)
{
  StoreNotes *notes;

  g_return_if_fail (PIGEON_IS_STORE (self));
  if ((notes = current_notes (self)) != NULL)
    notes->pending_ops = TRUE;
}

void
pigeon_store_note_outbox (PigeonStore *self)
{
  StoreNotes *notes;

  g_return_if_fail (PIGEON_IS_STORE (self));
  if ((notes = current_notes (self)) != NULL)
    notes->outbox = TRUE;
}

/* What one committed transaction tells the main context. */
typedef struct
{
  GWeakRef   store;
  gboolean   folders_changed;
  gboolean   pending_ops;
  gboolean   outbox;
  GArray    *updated_folders;  /* gint64 */
  GPtrArray *changes;          /* PigeonStoreChange* */
} Dispatch;

static void
dispatch_free (gpointer data)
{
  Dispatch *d = data;

  g_weak_ref_clear (&d->store);
  g_array_unref (d->updated_folders);
  g_ptr_array_unref (d->changes);
  g_free (d);
}

static gint
compare_ids (gconstpointer a,
             gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

static gboolean
dispatch_cb (gpointer data)
{
  Dispatch *d = data;
  g_autoptr(PigeonStore) self = g_weak_ref_get (&d->store);

  if (self == NULL)
    return G_SOURCE_REMOVE;

  if (d->folders_changed)
    g_signal_emit (self, signals[FOLDERS_CHANGED], 0);
  for (guint i = 0; i < d->changes->len; i++)
    g_signal_emit (self, signals[MESSAGES_CHANGED], 0, g_ptr_array_index (d->changes, i));
  for (guint i = 0; i < d->updated_folders->len; i++)
    g_signal_emit (self, signals[FOLDER_UPDATED], 0,
                   g_array_index (d->updated_folders, gint64, i));
  if (d->pending_ops)
    g_signal_emit (self, signals[PENDING_OPS_CHANGED], 0);
  if (d->outbox)
    g_signal_emit (self, signals[OUTBOX_CHANGED], 0);
  return G_SOURCE_REMOVE;
}

static PigeonStoreChange *
change_from_rows (gint64      folder_id,
                  GHashTable *rows)
{
  PigeonStoreChange *change = pigeon_store_change_new (folder_id);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, rows);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      switch (GPOINTER_TO_INT (value))
        {
        case 'a':
          g_array_append_val (change->added, *(gint64 *) key);
          break;
        case 'u':
          g_array_append_val (change->updated, *(gint64 *) key);
          break;
        default:
          g_array_append_val (change->removed, *(gint64 *) key);
          break;
        }
    }
  g_array_sort (change->added, compare_ids);
  g_array_sort (change->updated, compare_ids);
  g_array_sort (change->removed, compare_ids);
  return change;
}

/* After a commit: hands what changed to the store's main context. */
static void
dispatch_notes (PigeonStore *self,
                StoreNotes  *notes)
{
  g_autoptr(GSource) source = NULL;
  GHashTableIter iter;
  gpointer key, value;
  Dispatch *d;

  if (!notes->folders_changed && !notes->pending_ops && !notes->outbox &&
      g_hash_table_size (notes->updated_folders) == 0 &&
      g_hash_table_size (notes->messages) == 0)
    return;

  d = g_new0 (Dispatch, 1);
  g_weak_ref_init (&d->store, self);
  d->folders_changed = notes->folders_changed;
  d->pending_ops = notes->pending_ops;
  d->outbox = notes->outbox;
  d->updated_folders = g_array_new (FALSE, FALSE, sizeof (gint64));
  d->changes = g_ptr_array_new_with_free_func ((GDestroyNotify) pigeon_store_change_free);

  g_hash_table_iter_init (&iter, notes->updated_folders);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_array_append_val (d->updated_folders, *(gint64 *) key);
  g_array_sort (d->updated_folders, compare_ids);

  g_hash_table_iter_init (&iter, notes->messages);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (g_hash_table_size (value) > 0)
        g_ptr_array_add (d->changes, change_from_rows (*(gint64 *) key, value));
    }

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_name (source, "[pigeon] store changes");
  g_source_set_callback (source, dispatch_cb, d, dispatch_free);
  g_source_attach (source, self->context);
}

/* ------------------------------------------------------------------ the worker */

static gboolean
in_worker (PigeonStore *self)
{
  return self->worker_thread != NULL && g_thread_self () == self->worker_thread;
}

/* One transaction around FUNC on the writer.  Worker thread only. */
static gboolean
run_transaction (PigeonStore    *self,
                 StoreConn      *conn,
                 PigeonStoreFunc func,
                 gpointer        data,
                 GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  StoreNotes *notes;
  gboolean ok;

  if (!pigeon_store_exec (self, conn->db, "BEGIN IMMEDIATE", error))
    return FALSE;

  self->notes = notes_new ();
  ok = func (self, conn->db, data, &local_error);
  if (ok)
    ok = pigeon_store_exec (self, conn->db, "COMMIT", &local_error);
  else if (local_error == NULL)
    g_set_error_literal (&local_error, PIGEON_ERROR, PIGEON_ERROR_FAILED,
                         _("Saving to the mail cache failed."));
  notes = g_steal_pointer (&self->notes);

  if (!ok)
    {
      rollback_if_open (conn->db);
      notes_free (notes);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  dispatch_notes (self, notes);
  notes_free (notes);
  return TRUE;
}

static void
store_job_complete (StoreJob *job,
                    gboolean  ok,
                    GError   *error)
{
  if (job->task != NULL)
    {
      GTask *task = g_steal_pointer (&job->task);

      if (job->data_destroy != NULL)
        job->data_destroy (job->data);
      if (ok)
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      g_free (job);
      /* May drop the last reference to the store; nothing below touches it. */
      g_object_unref (task);
      return;
    }

  g_mutex_lock (&job->lock);
  job->ok = ok;
  job->error = error;
  job->done = TRUE;
  g_cond_signal (&job->cond);
  g_mutex_unlock (&job->lock);
}

static gpointer
worker_main (gpointer data)
{
  StoreWorker *worker = data;

  g_private_set (&current_conn, worker->conn);
  for (;;)
    {
      StoreJob *job = g_async_queue_pop (worker->queue);
      GError *error = NULL;
      gboolean ok;

      if (job->func == NULL)
        {
          g_free (job);
          break;
        }
      if (job->task != NULL &&
          g_cancellable_set_error_if_cancelled (g_task_get_cancellable (job->task), &error))
        {
          store_job_complete (job, FALSE, error);
          continue;
        }
      ok = run_transaction (job->store, worker->conn, job->func, job->data, &error);
      store_job_complete (job, ok, error);
    }
  g_private_set (&current_conn, NULL);

  /* Closing the last connection checkpoints the WAL into the database file. */
  store_conn_free (worker->conn);
  g_async_queue_unref (worker->queue);
  g_free (worker);
  return NULL;
}

/* Queues JOB unless the store is closed. */
static gboolean
push_job (PigeonStore *self,
          StoreJob    *job)
{
  gboolean pushed = FALSE;

  g_mutex_lock (&self->queue_lock);
  if (!self->closed)
    {
      g_async_queue_push (self->queue, job);
      pushed = TRUE;
    }
  g_mutex_unlock (&self->queue_lock);
  return pushed;
}

/* ------------------------------------------------------------------ object */

static void
pigeon_store_dispose (GObject *object)
{
  pigeon_store_close (PIGEON_STORE (object));

  G_OBJECT_CLASS (pigeon_store_parent_class)->dispose (object);
}

static void
pigeon_store_finalize (GObject *object)
{
  PigeonStore *self = PIGEON_STORE (object);

  g_clear_pointer (&self->worker_thread, g_thread_unref);
  g_clear_pointer (&self->idle_readers, g_ptr_array_unref);
  g_clear_pointer (&self->queue, g_async_queue_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->queue_lock);
  g_mutex_clear (&self->readers_lock);
  g_free (self->dir);
  g_free (self->path);

  G_OBJECT_CLASS (pigeon_store_parent_class)->finalize (object);
}

static void
pigeon_store_class_init (PigeonStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pigeon_store_dispose;
  object_class->finalize = pigeon_store_finalize;

  signals[FOLDERS_CHANGED] =
    g_signal_new ("folders-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[FOLDER_UPDATED] =
    g_signal_new ("folder-updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[MESSAGES_CHANGED] =
    g_signal_new ("messages-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  PIGEON_TYPE_STORE_CHANGE | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[PENDING_OPS_CHANGED] =
    g_signal_new ("pending-ops-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[OUTBOX_CHANGED] =
    g_signal_new ("outbox-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
pigeon_store_init (PigeonStore *self)
{
  g_mutex_init (&self->queue_lock);
  g_mutex_init (&self->readers_lock);
  self->idle_readers = g_ptr_array_new_with_free_func ((GDestroyNotify) store_conn_free);
}

static PigeonStore *
store_open (const char   *dir,
            GMainContext *context,
            GError      **error)
{
  g_autoptr(PigeonStore) self = NULL;
  g_autofree char *path = NULL;
  StoreWorker *worker;
  sqlite3 *db;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE,
                   _("Pigeon could not create the folder “%s” for its mail cache: %s. "
                     "Check that you may write there."), dir, g_strerror (saved_errno));
      return NULL;
    }

  path = g_build_filename (dir, "store.db", NULL);
  db = open_writer (path, error);
  if (db == NULL)
    return NULL;

  self = g_object_new (PIGEON_TYPE_STORE, NULL);
  self->dir = g_strdup (dir);
  self->path = g_steal_pointer (&path);
  self->context = g_main_context_ref (context);
  self->queue = g_async_queue_new ();

  worker = g_new0 (StoreWorker, 1);
  worker->queue = g_async_queue_ref (self->queue);
  worker->conn = store_conn_new (db);
  self->worker_thread = g_thread_try_new ("pigeon-store", worker_main, worker, error);
  if (self->worker_thread == NULL)
    {
      store_conn_free (worker->conn);
      g_async_queue_unref (worker->queue);
      g_free (worker);
      self->closed = TRUE;
      return NULL;
    }
  return g_steal_pointer (&self);
}

PigeonStore *
pigeon_store_open (const char *dir,
                   GError    **error)
{
  g_autoptr(GMainContext) context = NULL;

  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  context = g_main_context_ref_thread_default ();
  return store_open (dir, context, error);
}

typedef struct
{
  char         *dir;
  GMainContext *context;
} OpenData;

static void
open_data_free (gpointer data)
{
  OpenData *od = data;

  g_free (od->dir);
  g_main_context_unref (od->context);
  g_free (od);
}

static void
open_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  OpenData *od = task_data;
  GError *error = NULL;
  PigeonStore *store;

  store = store_open (od->dir, od->context, &error);
  if (store == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, store, g_object_unref);
}

void
pigeon_store_open_async (const char          *dir,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  OpenData *od;

  g_return_if_fail (dir != NULL);

  od = g_new0 (OpenData, 1);
  od->dir = g_strdup (dir);
  od->context = g_main_context_ref_thread_default ();

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pigeon_store_open_async);
  g_task_set_task_data (task, od, open_data_free);
  g_task_run_in_thread (task, open_thread);
}

PigeonStore *
pigeon_store_open_finish (GAsyncResult *result,
                          GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pigeon_store_open_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
pigeon_store_close (PigeonStore *self)
{
  StoreJob *quit;

  g_return_if_fail (PIGEON_IS_STORE (self));

  g_mutex_lock (&self->queue_lock);
  if (self->closed)
    {
      g_mutex_unlock (&self->queue_lock);
      return;
    }
  self->closed = TRUE;
  if (self->worker_thread != NULL)
    {
      quit = g_new0 (StoreJob, 1);
      g_async_queue_push (self->queue, quit);
    }
  g_mutex_unlock (&self->queue_lock);

  /* The last reference can go on the worker itself (an async caller's GTask): it then
   * finishes the job at hand, takes the order to stop and exits alone.  The store keeps
   * its own reference to the thread, so in_worker() stays true to the end. */
  if (self->worker_thread != NULL && !in_worker (self))
    g_thread_join (g_thread_ref (self->worker_thread));

  g_mutex_lock (&self->readers_lock);
  g_ptr_array_set_size (self->idle_readers, 0);
  g_mutex_unlock (&self->readers_lock);
}

const char *
pigeon_store_get_path (PigeonStore *self)
{
  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  return self->path;
}

/* ------------------------------------------------------------------ running work */

gboolean
pigeon_store_run_write (PigeonStore    *self,
                        PigeonStoreFunc func,
                        gpointer        data,
                        GError        **error)
{
  StoreJob job = { 0 };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Already inside a transaction on the worker: run inline, in a savepoint so a failure
   * undoes only this part. */
  if (in_worker (self))
    {
      StoreConn *conn = g_private_get (&current_conn);
      g_autoptr(GError) local_error = NULL;

      if (!pigeon_store_exec (self, conn->db, "SAVEPOINT pigeon_nested", error))
        return FALSE;
      if (func (self, conn->db, data, &local_error))
        return pigeon_store_exec (self, conn->db, "RELEASE pigeon_nested", error);
      if (local_error == NULL)
        g_set_error_literal (&local_error, PIGEON_ERROR, PIGEON_ERROR_FAILED,
                             _("Saving to the mail cache failed."));
      if (!sqlite3_get_autocommit (conn->db))
        {
          pigeon_store_exec (self, conn->db, "ROLLBACK TO pigeon_nested", NULL);
          pigeon_store_exec (self, conn->db, "RELEASE pigeon_nested", NULL);
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  job.store = self;
  job.func = func;
  job.data = data;
  g_mutex_init (&job.lock);
  g_cond_init (&job.cond);

  if (!push_job (self, &job))
    {
      g_mutex_clear (&job.lock);
      g_cond_clear (&job.cond);
      set_closed_error (error);
      return FALSE;
    }

  g_mutex_lock (&job.lock);
  while (!job.done)
    g_cond_wait (&job.cond, &job.lock);
  g_mutex_unlock (&job.lock);
  g_mutex_clear (&job.lock);
  g_cond_clear (&job.cond);

  if (!job.ok)
    {
      g_propagate_error (error, job.error);
      return FALSE;
    }
  return TRUE;
}

/* Queues FUNC for the worker; the task completes on the caller's thread-default context.
 * DATA is destroyed on the worker once FUNC ran (or was skipped). */
void
pigeon_store_submit_async (PigeonStore         *self,
                           PigeonStoreFunc      func,
                           gpointer             data,
                           GDestroyNotify       data_destroy,
                           gpointer             source_tag,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task;
  StoreJob *job;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  /* A committed write is reported as done even if cancelled while it ran. */
  g_task_set_check_cancellable (task, FALSE);

  job = g_new0 (StoreJob, 1);
  job->store = self;
  job->func = func;
  job->data = data;
  job->data_destroy = data_destroy;
  job->task = task;

  if (!push_job (self, job))
    {
      GError *error = NULL;

      set_closed_error (&error);
      if (data_destroy != NULL)
        data_destroy (data);
      g_free (job);
      g_task_return_error (task, error);
      g_object_unref (task);
    }
}

void
pigeon_store_run_write_async (PigeonStore         *self,
                              PigeonStoreFunc      func,
                              gpointer             data,
                              GDestroyNotify       data_destroy,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (PIGEON_IS_STORE (self));
  g_return_if_fail (func != NULL);

  pigeon_store_submit_async (self, func, data, data_destroy, pigeon_store_run_write_async,
                             cancellable, callback, user_data);
}

gboolean
pigeon_store_run_write_finish (PigeonStore  *self,
                               GAsyncResult *result,
                               GError      **error)
{
  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        pigeon_store_run_write_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static StoreConn *
take_reader (PigeonStore *self,
             GError     **error)
{
  StoreConn *conn = NULL;
  gboolean closed;

  g_mutex_lock (&self->queue_lock);
  closed = self->closed;
  g_mutex_unlock (&self->queue_lock);
  if (closed)
    {
      set_closed_error (error);
      return NULL;
    }

  g_mutex_lock (&self->readers_lock);
  if (self->idle_readers->len > 0)
    conn = g_ptr_array_steal_index_fast (self->idle_readers, self->idle_readers->len - 1);
  g_mutex_unlock (&self->readers_lock);

  if (conn == NULL)
    conn = open_reader (self, error);
  return conn;
}

static void
give_back_reader (PigeonStore *self,
                  StoreConn   *conn)
{
  gboolean keep;

  g_mutex_lock (&self->queue_lock);
  keep = !self->closed;
  g_mutex_unlock (&self->queue_lock);

  g_mutex_lock (&self->readers_lock);
  if (keep && self->idle_readers->len < MAX_IDLE_READERS)
    {
      g_ptr_array_add (self->idle_readers, conn);
      conn = NULL;
    }
  g_mutex_unlock (&self->readers_lock);
  store_conn_free (conn);
}

gboolean
pigeon_store_run_read (PigeonStore    *self,
                       PigeonStoreFunc func,
                       gpointer        data,
                       GError        **error)
{
  StoreConn *conn;
  gpointer previous;
  gboolean ok;

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Inside a write: read what the transaction sees. */
  if (in_worker (self))
    {
      conn = g_private_get (&current_conn);
      return func (self, conn->db, data, error);
    }

  conn = take_reader (self, error);
  if (conn == NULL)
    return FALSE;

  previous = g_private_get (&current_conn);
  g_private_set (&current_conn, conn);

  /* One snapshot for every statement FUNC runs. */
  ok = pigeon_store_exec (self, conn->db, "BEGIN", error);
  if (ok)
    {
      g_autoptr(GError) local_error = NULL;

      ok = func (self, conn->db, data, &local_error);
      if (!ok && local_error == NULL)
        g_set_error_literal (&local_error, PIGEON_ERROR, PIGEON_ERROR_FAILED,
                             _("Reading the mail cache failed."));
      if (!sqlite3_get_autocommit (conn->db))
        pigeon_store_exec (self, conn->db, ok ? "COMMIT" : "ROLLBACK", NULL);
      if (!ok)
        g_propagate_error (error, g_steal_pointer (&local_error));
    }

  g_private_set (&current_conn, previous);
  give_back_reader (self, conn);
  return ok;
}

/* One statement with integer arguments, for the public calls that are nothing more. */
typedef struct
{
  const char   *sql;
  const gint64 *args;
  guint         n_args;
  gint64        value;
  gboolean      found;
} IntsStatement;

static gboolean
write_ints_func (PigeonStore *self,
                 sqlite3     *db,
                 gpointer     data,
                 GError     **error)
{
  IntsStatement *is = data;

  return pigeon_store_exec_ints (self, db, is->sql, is->args, is->n_args, error);
}

gboolean
pigeon_store_write_ints (PigeonStore  *self,
                         const char   *sql,
                         const gint64 *args,
                         guint         n_args,
                         GError      **error)
{
  IntsStatement is = { sql, args, n_args };

  return pigeon_store_run_write (self, write_ints_func, &is, error);
}

static gboolean
read_int_func (PigeonStore *self,
               sqlite3     *db,
               gpointer     data,
               GError     **error)
{
  IntsStatement *is = data;

  return pigeon_store_query_int (self, db, is->sql, is->args, is->n_args, &is->value,
                                 &is->found, error);
}

gboolean
pigeon_store_read_int (PigeonStore  *self,
                       const char   *sql,
                       const gint64 *args,
                       guint         n_args,
                       gint64       *value,
                       gboolean     *found,
                       GError      **error)
{
  IntsStatement is = { sql, args, n_args };

  if (!pigeon_store_run_read (self, read_int_func, &is, error))
    return FALSE;
  if (value != NULL)
    *value = is.value;
  if (found != NULL)
    *found = is.found;
  return TRUE;
}

/* ------------------------------------------------------------------ account state */

typedef struct
{
  const char *key;
  const char *value;
  char       *result;
} StateData;

static gboolean
get_state_func (PigeonStore *self,
                sqlite3     *db,
                gpointer     data,
                GError     **error)
{
  StateData *sd = data;
  g_autoptr(PigeonStmt) stmt = NULL;
  gboolean has_row;

  stmt = pigeon_store_prepare (self, db, "SELECT value FROM state WHERE key = ?", error);
  if (stmt == NULL)
    return FALSE;
  pigeon_stmt_bind_text (stmt, 1, sd->key);
  if (!pigeon_store_step (self, db, stmt, &has_row, error))
    return FALSE;
  if (has_row)
    sd->result = pigeon_stmt_dup_text (stmt, 0);
  return TRUE;
}

char *
pigeon_store_get_state (PigeonStore *self,
                        const char  *key,
                        GError     **error)
{
  StateData sd = { key, NULL, NULL };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  if (!pigeon_store_run_read (self, get_state_func, &sd, error))
    return NULL;
  return sd.result;
}

static gboolean
set_state_func (PigeonStore *self,
                sqlite3     *db,
                gpointer     data,
                GError     **error)
{
  StateData *sd = data;
  g_autoptr(PigeonStmt) stmt = NULL;

  if (sd->value == NULL)
    stmt = pigeon_store_prepare (self, db, "DELETE FROM state WHERE key = ?", error);
  else
    stmt = pigeon_store_prepare (self, db,
                                 "INSERT INTO state (key, value) VALUES (?, ?) "
                                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                 error);
  if (stmt == NULL)
    return FALSE;
  pigeon_stmt_bind_text (stmt, 1, sd->key);
  if (sd->value != NULL)
    pigeon_stmt_bind_text (stmt, 2, sd->value);
  return pigeon_store_step_done (self, db, stmt, error);
}

gboolean
pigeon_store_set_state (PigeonStore *self,
                        const char  *key,
                        const char  *value,
                        GError     **error)
{
  StateData sd = { key, value, NULL };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  return pigeon_store_run_write (self, set_state_func, &sd, error);
}
