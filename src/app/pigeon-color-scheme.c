/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include "pigeon-color-scheme.h"

#define PORTAL_BUS_NAME "org.freedesktop.portal.Desktop"
#define PORTAL_OBJECT_PATH "/org/freedesktop/portal/desktop"
#define PORTAL_SETTINGS "org.freedesktop.portal.Settings"
#define APPEARANCE "org.freedesktop.appearance"
#define GNOME_INTERFACE "org.gnome.desktop.interface"

/* The portal's values: 0 no preference, 1 prefer dark, 2 prefer light. */
static void
apply (GtkSettings *settings,
       gboolean     dark)
{
  g_object_set (settings, "gtk-application-prefer-dark-theme", dark, NULL);
}

static void
gsettings_changed_cb (GSettings   *interface,
                      const char  *key,
                      GtkSettings *settings)
{
  g_autofree char *scheme = g_settings_get_string (interface, "color-scheme");

  apply (settings, g_strcmp0 (scheme, "prefer-dark") == 0);
}

/* Without a portal: the GNOME setting, where its schema has the key. */
static void
follow_gsettings (GtkSettings *settings)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  GSettings *interface;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, GNOME_INTERFACE, TRUE);
  if (schema == NULL || !g_settings_schema_has_key (schema, "color-scheme"))
    return;
  interface = g_settings_new_full (schema, NULL, NULL);
  /* Lives as long as the GtkSettings it drives. */
  g_object_set_data_full (G_OBJECT (settings), "pigeon-interface-settings", interface,
                          g_object_unref);
  g_signal_connect_object (interface, "changed::color-scheme",
                           G_CALLBACK (gsettings_changed_cb), settings, 0);
  gsettings_changed_cb (interface, "color-scheme", settings);
}

static void
apply_portal_value (GtkSettings *settings,
                    GVariant    *value)
{
  g_autoptr(GVariant) inner = value;

  /* Read returns v wrapping v wrapping u (older portals) or v wrapping u. */
  while (inner != NULL && g_variant_is_of_type (inner, G_VARIANT_TYPE_VARIANT))
    {
      GVariant *child = g_variant_get_variant (inner);

      g_variant_unref (inner);
      inner = child;
    }
  if (inner != NULL && g_variant_is_of_type (inner, G_VARIANT_TYPE_UINT32))
    apply (settings, g_variant_get_uint32 (inner) == 1);
}

static void
portal_changed_cb (GDBusProxy  *proxy,
                   const char  *sender,
                   const char  *signal,
                   GVariant    *parameters,
                   GtkSettings *settings)
{
  const char *ns, *key;
  GVariant *value;

  if (g_strcmp0 (signal, "SettingChanged") != 0)
    return;
  g_variant_get (parameters, "(&s&sv)", &ns, &key, &value);
  if (g_strcmp0 (ns, APPEARANCE) == 0 && g_strcmp0 (key, "color-scheme") == 0)
    apply_portal_value (settings, g_variant_new_variant (value));
  g_variant_unref (value);
}

static void
portal_read_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GtkSettings) settings = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);
  GVariant *value;

  if (reply == NULL)
    {
      /* No portal (or one without the setting): ask GNOME directly. */
      g_debug ("No color scheme from the portal: %s", error->message);
      follow_gsettings (settings);
      return;
    }
  g_variant_get (reply, "(v)", &value);
  apply_portal_value (settings, value);
  g_signal_connect_object (source, "g-signal", G_CALLBACK (portal_changed_cb), settings, 0);
  g_object_set_data_full (G_OBJECT (settings), "pigeon-settings-portal", g_object_ref (source),
                          g_object_unref);
}

static void
portal_proxy_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GtkSettings) settings = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusProxy) proxy = g_dbus_proxy_new_for_bus_finish (result, &error);

  if (proxy == NULL || g_dbus_proxy_get_name_owner (proxy) == NULL)
    {
      follow_gsettings (settings);
      return;
    }
  g_dbus_proxy_call (proxy, "Read", g_variant_new ("(ss)", APPEARANCE, "color-scheme"),
                     G_DBUS_CALL_FLAGS_NONE, 2000, NULL, portal_read_cb,
                     g_object_ref (settings));
}

void
pigeon_color_scheme_follow (GtkSettings *settings)
{
  g_return_if_fail (GTK_IS_SETTINGS (settings));

  g_dbus_proxy_new_for_bus (G_BUS_TYPE_SESSION,
                            G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
                            G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START_AT_CONSTRUCTION,
                            NULL, PORTAL_BUS_NAME, PORTAL_OBJECT_PATH, PORTAL_SETTINGS, NULL,
                            portal_proxy_cb, g_object_ref (settings));
}
