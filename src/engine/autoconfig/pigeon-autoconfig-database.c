/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-autoconfig"

#include "config.h"

#include <string.h>

#include "pigeon-autoconfig-database.h"
#include "pigeon-autoconfig-resources.h"
#include "pigeon-ispdb.h"

#define RESOURCE_PATH "/io/github/pigeonmail/Pigeon/autoconfig/"

/* domain -> GBytes of the provider's document, built once. */
static GHashTable *
ensure_index (void)
{
  static GHashTable *index;

  if (g_once_init_enter (&index))
    {
      GHashTable *documents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                     (GDestroyNotify) g_bytes_unref);
      GHashTable *domains = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                   (GDestroyNotify) g_bytes_unref);
      g_autofree char *dir_path = g_build_filename (PKGDATADIR, "autoconfig", NULL);
      g_auto(GStrv) names = NULL;
      g_autoptr(GDir) dir = NULL;
      g_autoptr(GList) keys = NULL;
      GResource *resource = pigeon_autoconfig_get_resource ();
      const char *name;

      names = g_resource_enumerate_children (resource, RESOURCE_PATH,
                                             G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
      for (guint i = 0; names && names[i]; i++)
        {
          g_autofree char *path = g_strconcat (RESOURCE_PATH, names[i], NULL);
          GBytes *bytes = g_resource_lookup_data (resource, path, G_RESOURCE_LOOKUP_FLAGS_NONE,
                                                  NULL);
          if (bytes != NULL)
            g_hash_table_replace (documents, g_strdup (names[i]), bytes);
        }

      /* The installed copy: what a distribution changed or added wins. */
      dir = g_dir_open (dir_path, 0, NULL);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (dir_path, name, NULL);
          g_autoptr(GMappedFile) file = NULL;

          if (!g_str_has_suffix (name, ".xml"))
            continue;
          file = g_mapped_file_new (path, FALSE, NULL);
          if (file != NULL)
            g_hash_table_replace (documents, g_strdup (name), g_mapped_file_get_bytes (file));
        }

      /* In name order, so that two files claiming a domain always resolve the same way. */
      keys = g_list_sort (g_hash_table_get_keys (documents), (GCompareFunc) strcmp);
      for (GList *l = keys; l; l = l->next)
        {
          GBytes *bytes = g_hash_table_lookup (documents, l->data);
          g_autoptr(GError) error = NULL;
          g_auto(GStrv) list = pigeon_ispdb_parse_domains (bytes, &error);

          if (list == NULL)
            {
              g_warning ("Ignoring the provider file %s: %s", (const char *) l->data,
                         error->message);
              continue;
            }
          for (guint i = 0; list[i]; i++)
            if (!g_hash_table_contains (domains, list[i]))
              g_hash_table_insert (domains, g_strdup (list[i]), g_bytes_ref (bytes));
        }
      g_hash_table_unref (documents);
      g_once_init_leave (&index, domains);
    }
  return index;
}

static PigeonAutoconfigResult *
parse (GBytes                 *bytes,
       const char             *email,
       PigeonAutoconfigSource  source)
{
  g_autoptr(GError) error = NULL;
  PigeonAutoconfigResult *result = pigeon_ispdb_parse (bytes, email, source, &error);

  if (result == NULL)
    g_warning ("A bundled provider file is damaged: %s", error->message);
  return result;
}

PigeonAutoconfigResult *
pigeon_autoconfig_database_lookup (const char             *domain,
                                   const char             *email,
                                   PigeonAutoconfigSource  source)
{
  g_autofree char *key = NULL;
  GBytes *bytes;

  g_return_val_if_fail (domain != NULL, NULL);
  g_return_val_if_fail (email != NULL, NULL);

  key = g_ascii_strdown (domain, -1);
  bytes = g_hash_table_lookup (ensure_index (), key);
  return bytes ? parse (bytes, email, source) : NULL;
}

PigeonAutoconfigResult *
pigeon_autoconfig_database_lookup_host (const char             *host,
                                        const char             *email,
                                        PigeonAutoconfigSource  source)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (host != NULL, NULL);
  g_return_val_if_fail (email != NULL, NULL);

  key = g_ascii_strdown (host, -1);
  g_strchomp (key);
  if (g_str_has_suffix (key, "."))
    key[strlen (key) - 1] = '\0';

  /* Parent domains, but never a bare top-level domain. */
  for (const char *p = key; p != NULL && strchr (p, '.') != NULL; )
    {
      GBytes *bytes = g_hash_table_lookup (ensure_index (), p);
      const char *dot;

      if (bytes != NULL)
        return parse (bytes, email, source);
      dot = strchr (p, '.');
      p = dot ? dot + 1 : NULL;
    }
  return NULL;
}

char **
pigeon_autoconfig_database_list_domains (void)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new ();
  g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (ensure_index ()),
                                       (GCompareFunc) strcmp);

  for (GList *l = keys; l; l = l->next)
    g_ptr_array_add (out, g_strdup (l->data));
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}
