/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The application's GSettings (io.github.pigeonmail.Pigeon), shared.  NULL when the schema
 * is not installed (an uninstalled build started without GSETTINGS_SCHEMA_DIR): callers
 * then use the schema's defaults, which the getters below return.
 */
GSettings  *pigeon_settings_get          (void);
int         pigeon_settings_get_int      (const char *key,
                                          int         fallback);
double      pigeon_settings_get_double   (const char *key,
                                          double      fallback);
gboolean    pigeon_settings_get_boolean  (const char *key,
                                          gboolean    fallback);
int         pigeon_settings_get_enum     (const char *key,
                                          int         fallback);
/* Whether ADDRESS is in the string list KEY. */
gboolean    pigeon_settings_list_contains (const char *key,
                                           const char *address);
/* Adds ADDRESS to the string list KEY (once). */
void        pigeon_settings_list_add      (const char *key,
                                           const char *address);

G_END_DECLS
