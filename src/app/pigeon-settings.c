/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include "pigeon-settings.h"

GSettings *
pigeon_settings_get (void)
{
  static GSettings *settings;
  static gboolean looked;

  if (!looked)
    {
      GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
      g_autoptr(GSettingsSchema) schema = NULL;

      looked = TRUE;
      if (source != NULL)
        schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);
      if (schema != NULL)
        settings = g_settings_new_full (schema, NULL, NULL);
      else
        g_message ("The settings schema %s is not installed; settings are not remembered",
                   APPLICATION_ID);
    }
  return settings;
}

int
pigeon_settings_get_int (const char *key,
                         int         fallback)
{
  GSettings *settings = pigeon_settings_get ();

  return settings ? g_settings_get_int (settings, key) : fallback;
}

double
pigeon_settings_get_double (const char *key,
                            double      fallback)
{
  GSettings *settings = pigeon_settings_get ();

  return settings ? g_settings_get_double (settings, key) : fallback;
}

gboolean
pigeon_settings_get_boolean (const char *key,
                             gboolean    fallback)
{
  GSettings *settings = pigeon_settings_get ();

  return settings ? g_settings_get_boolean (settings, key) : fallback;
}

int
pigeon_settings_get_enum (const char *key,
                          int         fallback)
{
  GSettings *settings = pigeon_settings_get ();

  return settings ? g_settings_get_enum (settings, key) : fallback;
}

gboolean
pigeon_settings_list_contains (const char *key,
                               const char *address)
{
  GSettings *settings = pigeon_settings_get ();
  g_auto(GStrv) list = NULL;

  if (settings == NULL || address == NULL)
    return FALSE;
  list = g_settings_get_strv (settings, key);
  for (guint i = 0; list[i] != NULL; i++)
    if (g_ascii_strcasecmp (list[i], address) == 0)
      return TRUE;
  return FALSE;
}

void
pigeon_settings_list_add (const char *key,
                          const char *address)
{
  GSettings *settings = pigeon_settings_get ();
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) list = NULL;
  g_auto(GStrv) updated = NULL;

  if (settings == NULL || address == NULL || pigeon_settings_list_contains (key, address))
    return;
  list = g_settings_get_strv (settings, key);
  builder = g_strv_builder_new ();
  g_strv_builder_addv (builder, (const char **) list);
  g_strv_builder_add (builder, address);
  updated = g_strv_builder_end (builder);
  g_settings_set_strv (settings, key, (const char * const *) updated);
}
