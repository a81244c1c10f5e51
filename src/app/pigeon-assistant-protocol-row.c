/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-assistant-protocol-row.h"
#include "pigeon-provider.h"

struct _PigeonAssistantProtocolRow
{
  GtkListBoxRow parent_instance;

  GtkRadioButton *radio;
  GtkLabel *title_label;
  GtkLabel *description_label;
  GtkLabel *advice_label;
  GtkLabel *server_label;
  GtkCheckButton *keep_check;

  char *protocol;
};

G_DEFINE_FINAL_TYPE (PigeonAssistantProtocolRow, pigeon_assistant_protocol_row,
                     GTK_TYPE_LIST_BOX_ROW)

/* DESIGN.md's advice, by what the protocol can do rather than by its name. */
static const char *
advice_for (PigeonProviderCaps caps)
{
  if (caps & (PIGEON_PROVIDER_CAP_CONTACTS | PIGEON_PROVIDER_CAP_CALENDAR))
    return _("Choose it for an Exchange or Outlook-style server: your contacts and calendar "
             "are kept in sync as well.");
  if (caps & PIGEON_PROVIDER_CAP_SERVER_KEEPS_MAIL)
    return _("Choose it if you also read this mail on a phone, on another computer or in "
             "webmail.");
  return _("Choose it for one computer and a small mailbox on the server.");
}

static char *
describe_server (const PigeonAutoconfigServer *server)
{
  const char *security;

  switch (server->security)
    {
    case PIGEON_SECURITY_TLS:
    case PIGEON_SECURITY_STARTTLS:
      security = _("encrypted");
      break;
    case PIGEON_SECURITY_NONE:
    default:
      security = _("not encrypted");
      break;
    }
  if (server->port != 0)
    /* Translators: server name, port, and "encrypted" */
    return g_strdup_printf (_("%s, port %u, %s"), server->host, server->port, security);
  /* Translators: server name (or web address), and "encrypted" */
  return g_strdup_printf (_("%s, %s"), server->host, security);
}

static void
radio_toggled_cb (PigeonAssistantProtocolRow *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->keep_check),
                            gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->radio)));
}

static void
pigeon_assistant_protocol_row_finalize (GObject *object)
{
  PigeonAssistantProtocolRow *self = (PigeonAssistantProtocolRow *) object;

  g_free (self->protocol);

  G_OBJECT_CLASS (pigeon_assistant_protocol_row_parent_class)->finalize (object);
}

static void
pigeon_assistant_protocol_row_class_init (PigeonAssistantProtocolRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = pigeon_assistant_protocol_row_finalize;

  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/pigeonmail/Pigeon/pigeon-assistant-protocol-row.ui");
  gtk_widget_class_bind_template_child (widget_class, PigeonAssistantProtocolRow, radio);
  gtk_widget_class_bind_template_child (widget_class, PigeonAssistantProtocolRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonAssistantProtocolRow,
                                        description_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonAssistantProtocolRow, advice_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonAssistantProtocolRow, server_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonAssistantProtocolRow, keep_check);
  gtk_widget_class_bind_template_callback (widget_class, radio_toggled_cb);
}

static void
pigeon_assistant_protocol_row_init (PigeonAssistantProtocolRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

PigeonAssistantProtocolRow *
pigeon_assistant_protocol_row_new (const PigeonAutoconfigServer *server,
                                   PigeonAssistantProtocolRow   *group)
{
  PigeonAssistantProtocolRow *self;
  PigeonProviderClass *klass;
  g_autofree char *where = NULL;

  g_return_val_if_fail (server != NULL, NULL);

  klass = pigeon_provider_class_lookup (server->protocol);
  g_return_val_if_fail (klass != NULL, NULL);

  self = g_object_new (PIGEON_TYPE_ASSISTANT_PROTOCOL_ROW, NULL);
  self->protocol = g_strdup (server->protocol);
  if (group != NULL)
    gtk_radio_button_join_group (self->radio, group->radio);

  gtk_label_set_text (self->title_label, _(klass->display_name));
  gtk_label_set_text (self->description_label, _(klass->description));
  gtk_label_set_text (self->advice_label, advice_for (klass->caps));
  where = describe_server (server);
  gtk_label_set_text (self->server_label, where);
  gtk_widget_set_visible (GTK_WIDGET (self->keep_check),
                          (klass->caps & PIGEON_PROVIDER_CAP_SERVER_KEEPS_MAIL) == 0);
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->radio)),
                       _(klass->display_name));
  atk_object_set_description (gtk_widget_get_accessible (GTK_WIDGET (self->radio)),
                              _(klass->description));
  radio_toggled_cb (self);
  return self;
}

const char *
pigeon_assistant_protocol_row_get_protocol (PigeonAssistantProtocolRow *self)
{
  g_return_val_if_fail (PIGEON_IS_ASSISTANT_PROTOCOL_ROW (self), NULL);
  return self->protocol;
}

gboolean
pigeon_assistant_protocol_row_get_selected (PigeonAssistantProtocolRow *self)
{
  g_return_val_if_fail (PIGEON_IS_ASSISTANT_PROTOCOL_ROW (self), FALSE);
  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->radio));
}

void
pigeon_assistant_protocol_row_select (PigeonAssistantProtocolRow *self)
{
  g_return_if_fail (PIGEON_IS_ASSISTANT_PROTOCOL_ROW (self));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->radio), TRUE);
}

gboolean
pigeon_assistant_protocol_row_get_keep_on_server (PigeonAssistantProtocolRow *self)
{
  g_return_val_if_fail (PIGEON_IS_ASSISTANT_PROTOCOL_ROW (self), TRUE);
  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->keep_check));
}
