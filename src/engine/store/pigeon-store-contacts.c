/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-store"

#include "config.h"

#include "pigeon-store-contacts.h"

typedef struct
{
  const char         *source;
  const char         *remote_id;
  const char         *name;
  const char * const *emails;
  gboolean            prefix;
  const char         *text;
  guint               limit;
  GPtrArray          *out;
} ContactArgs;

static gboolean
prepare (PigeonStore   *store,
         sqlite3       *db,
         const char    *sql,
         sqlite3_stmt **stmt,
         GError       **error)
{
  int rc = sqlite3_prepare_v2 (db, sql, -1, stmt, NULL);

  if (rc != SQLITE_OK)
    {
      pigeon_store_set_sqlite_error (store, db, rc, error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
finish (PigeonStore  *store,
        sqlite3      *db,
        sqlite3_stmt *stmt,
        int           rc,
        GError      **error)
{
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW && rc != SQLITE_OK)
    {
      pigeon_store_set_sqlite_error (store, db, rc, error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
remove_cb (PigeonStore  *store,
           sqlite3      *db,
           gpointer      data,
           GError      **error)
{
  ContactArgs *args = data;
  sqlite3_stmt *stmt;

  if (!prepare (store, db,
                args->prefix
                  ? "DELETE FROM contacts WHERE source = ?1 "
                    "AND substr (remote_id, 1, length (?2)) = ?2"
                  : "DELETE FROM contacts WHERE source = ?1 AND remote_id = ?2",
                &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, args->source, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, args->remote_id, -1, SQLITE_STATIC);
  return finish (store, db, stmt, sqlite3_step (stmt), error);
}

static gboolean
put_cb (PigeonStore  *store,
        sqlite3      *db,
        gpointer      data,
        GError      **error)
{
  ContactArgs *args = data;
  sqlite3_stmt *stmt;

  args->prefix = FALSE;
  if (!remove_cb (store, db, data, error))
    return FALSE;
  if (!prepare (store, db,
                "INSERT INTO contacts (source, remote_id, name, email) VALUES (?1, ?2, ?3, ?4) "
                "ON CONFLICT (source, email) DO UPDATE SET remote_id = excluded.remote_id, "
                "  name = excluded.name",
                &stmt, error))
    return FALSE;
  for (guint i = 0; args->emails != NULL && args->emails[i] != NULL; i++)
    {
      int rc;

      sqlite3_reset (stmt);
      sqlite3_bind_text (stmt, 1, args->source, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, args->remote_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, args->name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, args->emails[i], -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (rc != SQLITE_DONE)
        return finish (store, db, stmt, rc, error);
    }
  return finish (store, db, stmt, SQLITE_DONE, error);
}

gboolean
pigeon_store_put_contact (PigeonStore        *self,
                          const char         *source,
                          const char         *remote_id,
                          const char         *name,
                          const char * const *emails,
                          GError            **error)
{
  ContactArgs args = { source, remote_id, name, emails };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (source != NULL && remote_id != NULL, FALSE);

  return pigeon_store_run_write (self, put_cb, &args, error);
}

gboolean
pigeon_store_remove_contacts (PigeonStore *self,
                              const char  *source,
                              const char  *remote_id,
                              gboolean     prefix,
                              GError     **error)
{
  ContactArgs args = { source, remote_id, NULL, NULL, prefix };

  g_return_val_if_fail (PIGEON_IS_STORE (self), FALSE);
  g_return_val_if_fail (source != NULL && remote_id != NULL, FALSE);

  return pigeon_store_run_write (self, remove_cb, &args, error);
}

static gboolean
list_ids_cb (PigeonStore  *store,
             sqlite3      *db,
             gpointer      data,
             GError      **error)
{
  ContactArgs *args = data;
  sqlite3_stmt *stmt;
  int rc;

  if (!prepare (store, db,
                "SELECT DISTINCT remote_id FROM contacts WHERE source = ?1 "
                "AND substr (remote_id, 1, length (?2)) = ?2",
                &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, args->source, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, args->remote_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (args->out, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  return finish (store, db, stmt, rc, error);
}

GPtrArray *
pigeon_store_list_contact_remote_ids (PigeonStore *self,
                                      const char  *source,
                                      const char  *prefix,
                                      GError     **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  ContactArgs args = { source, prefix, NULL, NULL, TRUE, NULL, 0, out };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);

  if (!pigeon_store_run_read (self, list_ids_cb, &args, error))
    return NULL;
  return g_steal_pointer (&out);
}

static char *
like_pattern (const char *prefix,
              const char *text)
{
  GString *out = g_string_new (prefix);

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '%');
  return g_string_free (out, FALSE);
}

static gboolean
complete_cb (PigeonStore  *store,
             sqlite3      *db,
             gpointer      data,
             GError      **error)
{
  ContactArgs *args = data;
  g_autofree char *starts = like_pattern ("", args->text);
  g_autofree char *word = like_pattern ("% ", args->text);
  sqlite3_stmt *stmt;
  int rc;

  if (!prepare (store, db,
                "SELECT max (name), email FROM contacts "
                "WHERE name LIKE ?1 ESCAPE '\\' OR name LIKE ?2 ESCAPE '\\' "
                "   OR email LIKE ?1 ESCAPE '\\' "
                "GROUP BY lower (email) "
                "ORDER BY max (use_count) DESC, max (last_used) DESC, lower (email) LIMIT ?3",
                &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, starts, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, word, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, args->limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (stmt, 0);
      const char *email = (const char *) sqlite3_column_text (stmt, 1);

      if (name != NULL && *name != '\0')
        g_ptr_array_add (args->out, g_strdup_printf ("%s <%s>", name, email));
      else
        g_ptr_array_add (args->out, g_strdup (email));
    }
  return finish (store, db, stmt, rc, error);
}

GPtrArray *
pigeon_store_complete_address (PigeonStore *self,
                               const char  *text,
                               guint        limit,
                               GError     **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  ContactArgs args = { NULL, NULL, NULL, NULL, FALSE, text, limit ? limit : G_MAXINT, out };

  g_return_val_if_fail (PIGEON_IS_STORE (self), NULL);
  g_return_val_if_fail (text != NULL, NULL);

  if (!pigeon_store_run_read (self, complete_cb, &args, error))
    return NULL;
  return g_steal_pointer (&out);
}
