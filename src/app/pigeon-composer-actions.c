/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-composer.h"
#include "pigeon-composer-actions.h"
#include "pigeon-composer-outboxes.h"
#include "pigeon-composer-status.h"
#include "pigeon-window.h"

static PigeonAccount *
find_account (PigeonApplication *app,
              const char        *id)
{
  return pigeon_account_manager_lookup (pigeon_application_get_manager (app), id);
}

static void
compose_action (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  PigeonApplication *app = user_data;

  gtk_window_present (GTK_WINDOW (pigeon_composer_new (app, NULL)));
}

static void
open_for_message (PigeonApplication *app,
                  GVariant          *parameter,
                  PigeonComposeMode  mode)
{
  const char *account_id;
  gint64 message_id;
  PigeonAccount *account;

  g_variant_get (parameter, "(&sx)", &account_id, &message_id);
  account = find_account (app, account_id);
  if (account == NULL || message_id <= 0)
    {
      g_warning ("No message %" G_GINT64_FORMAT " in account “%s” to compose from", message_id,
                 account_id);
      return;
    }
  gtk_window_present (GTK_WINDOW (pigeon_composer_new_for_message (app, account, mode,
                                                                   message_id)));
}

static void
reply_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  open_for_message (user_data, parameter, PIGEON_COMPOSE_REPLY);
}

static void
reply_all_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  open_for_message (user_data, parameter, PIGEON_COMPOSE_REPLY_ALL);
}

static void
forward_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  open_for_message (user_data, parameter, PIGEON_COMPOSE_FORWARD);
}

static void
forward_attachment_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  open_for_message (user_data, parameter, PIGEON_COMPOSE_FORWARD_ATTACHMENT);
}

static void
open_draft_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  open_for_message (user_data, parameter, PIGEON_COMPOSE_EDIT);
}

static const GActionEntry app_actions[] = {
  { "compose", compose_action },
  { "reply", reply_action, "(sx)" },
  { "reply-all", reply_all_action, "(sx)" },
  { "forward", forward_action, "(sx)" },
  { "forward-attachment", forward_attachment_action, "(sx)" },
  { "open-draft", open_draft_action, "(sx)" },
};

/* The main window gets its Compose button and the outbox's bar; where it keeps them is its
 * own business, so they go at the start of its header bar and the foot of its content. */
static void
window_added_cb (GtkApplication *application,
                 GtkWindow      *window,
                 gpointer        user_data)
{
  GtkWidget *titlebar;
  GtkWidget *content;

  if (!PIGEON_IS_WINDOW (window))
    return;
  titlebar = gtk_window_get_titlebar (window);
  if (GTK_IS_HEADER_BAR (titlebar))
    {
      g_autoptr(GtkBuilder) builder =
        gtk_builder_new_from_resource ("/io/github/pigeonmail/Pigeon/pigeon-composer-button.ui");

      gtk_header_bar_pack_start (GTK_HEADER_BAR (titlebar),
                                 GTK_WIDGET (gtk_builder_get_object (builder, "compose_button")));
    }
  content = gtk_bin_get_child (GTK_BIN (window));
  if (GTK_IS_BOX (content))
    gtk_box_pack_end (GTK_BOX (content),
                      GTK_WIDGET (pigeon_composer_status_new (PIGEON_APPLICATION (application))),
                      FALSE, FALSE, 0);
}

static void
shutdown_cb (GApplication *application,
             gpointer      user_data)
{
  pigeon_composer_outboxes_shutdown (
    pigeon_composer_outboxes_get_default (PIGEON_APPLICATION (application)));
}

void
pigeon_composer_install (PigeonApplication *app)
{
  static const struct
  {
    const char *action;
    const char *accels[3];
  } shortcuts[] = {
    { "app.compose", { "<Primary>n", NULL } },
    { "win.send", { "<Primary>Return", "<Primary>KP_Enter", NULL } },
    { "win.attach", { "<Primary><Shift>a", NULL } },
    { "win.bold", { "<Primary>b", NULL } },
    { "win.italic", { "<Primary>i", NULL } },
  };
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  g_return_if_fail (PIGEON_IS_APPLICATION (app));

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions),
                                   app);
  for (guint i = 0; i < G_N_ELEMENTS (shortcuts); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), shortcuts[i].action,
                                           shortcuts[i].accels);

  gtk_css_provider_load_from_resource (css, "/io/github/pigeonmail/Pigeon/pigeon-composer.css");
  gtk_style_context_add_provider_for_screen (gdk_screen_get_default (), GTK_STYLE_PROVIDER (css),
                                             GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  g_signal_connect (app, "window-added", G_CALLBACK (window_added_cb), NULL);
  g_signal_connect (app, "shutdown", G_CALLBACK (shutdown_cb), NULL);
  /* From now on every account's outbox sends, leftovers of an earlier run first. */
  pigeon_composer_outboxes_get_default (app);
}
