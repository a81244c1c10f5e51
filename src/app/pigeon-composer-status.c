/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-composer.h"
#include "pigeon-composer-outboxes.h"
#include "pigeon-composer-status.h"

#define NOTICE_SECONDS 4

typedef enum
{
  MODE_IDLE,      /* only the waiting count, if any */
  MODE_UNDO,      /* a message just queued: it can be taken back */
  MODE_NOTICE,    /* something to read until dismissed (or a few seconds for good news) */
  MODE_FAILED,    /* a message that needs the user */
} Mode;

struct _PigeonComposerStatus
{
  GtkRevealer parent_instance;

  GtkSpinner *spinner;
  GtkImage *icon;
  GtkLabel *label;
  GtkButton *undo_button;
  GtkButton *send_now_button;
  GtkButton *retry_button;
  GtkButton *edit_button;
  GtkButton *close_button;

  PigeonApplication *app;
  PigeonComposerOutboxes *outboxes;
  Mode mode;
  PigeonOutbox *outbox;      /* the message the bar is about */
  gint64 id;
  guint timeout_id;
};

G_DEFINE_FINAL_TYPE (PigeonComposerStatus, pigeon_composer_status, GTK_TYPE_REVEALER)

static void refresh (PigeonComposerStatus *self);

static const char *
shown_subject (const char *subject)
{
  return subject != NULL && *subject != '\0' ? subject : _("(no subject)");
}

static void
set_about (PigeonComposerStatus *self,
           PigeonOutbox         *outbox,
           gint64                id)
{
  g_set_object (&self->outbox, outbox);
  self->id = id;
}

/* One look: TEXT, with a spinner (working) or a warning icon, and the given buttons. */
static void
show (PigeonComposerStatus *self,
      Mode                  mode,
      const char           *text,
      gboolean              working,
      gboolean              warning,
      GtkButton            *first_button,
      ...)
{
  GtkButton *buttons[] = { self->undo_button, self->send_now_button, self->retry_button,
                           self->edit_button, self->close_button };
  va_list args;

  self->mode = mode;
  gtk_label_set_text (self->label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), working);
  if (working)
    gtk_spinner_start (self->spinner);
  else
    gtk_spinner_stop (self->spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->icon), warning);
  for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
    gtk_widget_hide (GTK_WIDGET (buttons[i]));
  va_start (args, first_button);
  for (GtkButton *b = first_button; b != NULL; b = va_arg (args, GtkButton *))
    gtk_widget_show (GTK_WIDGET (b));
  va_end (args);
  gtk_revealer_set_reveal_child (GTK_REVEALER (self), TRUE);
}

static gboolean
timeout_cb (gpointer user_data)
{
  PigeonComposerStatus *self = user_data;

  self->timeout_id = 0;
  if (self->mode == MODE_UNDO || self->mode == MODE_NOTICE)
    self->mode = MODE_IDLE;
  refresh (self);
  return G_SOURCE_REMOVE;
}

static void
refresh_in (PigeonComposerStatus *self,
            guint                 milliseconds)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->timeout_id = g_timeout_add (milliseconds, timeout_cb, self);
}

/* The first entry that waits or failed, with its outbox, from every account. */
static PigeonOutboxEntry *
first_entry (PigeonComposerStatus  *self,
             PigeonOutboxState      state,
             PigeonOutbox         **outbox_out)
{
  g_autoptr(GPtrArray) outboxes = pigeon_composer_outboxes_list (self->outboxes);

  for (guint i = 0; i < outboxes->len; i++)
    {
      PigeonOutbox *outbox = g_ptr_array_index (outboxes, i);
      g_autoptr(GPtrArray) entries = pigeon_store_outbox_list (pigeon_outbox_get_store (outbox),
                                                               NULL);

      for (guint j = 0; entries != NULL && j < entries->len; j++)
        {
          PigeonOutboxEntry *entry = g_ptr_array_index (entries, j);

          if (entry->state == state ||
              (state == PIGEON_OUTBOX_QUEUED && entry->state == PIGEON_OUTBOX_SENDING))
            {
              *outbox_out = outbox;
              return pigeon_outbox_entry_copy (entry);
            }
        }
    }
  return NULL;
}

static void
refresh (PigeonComposerStatus *self)
{
  g_autoptr(PigeonOutboxEntry) failed = NULL;
  g_autoptr(PigeonOutboxEntry) waiting = NULL;
  PigeonOutbox *outbox = NULL;
  guint n;

  if (self->mode != MODE_IDLE || self->outboxes == NULL)
    return;

  failed = first_entry (self, PIGEON_OUTBOX_FAILED, &outbox);
  if (failed != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("“%s” was not sent: %s"),
                                               shown_subject (failed->subject),
                                               failed->last_error != NULL ? failed->last_error
                                                                          : "");

      set_about (self, outbox, failed->id);
      show (self, MODE_FAILED, text, FALSE, TRUE, self->retry_button, self->edit_button, NULL);
      return;
    }

  n = pigeon_composer_outboxes_get_n_waiting (self->outboxes);
  if (n == 0)
    {
      gtk_revealer_set_reveal_child (GTK_REVEALER (self), FALSE);
      return;
    }
  waiting = first_entry (self, PIGEON_OUTBOX_QUEUED, &outbox);
  {
    g_autofree char *count = g_strdup_printf (ngettext ("%u message waiting to be sent",
                                                        "%u messages waiting to be sent", n), n);
    g_autofree char *text = NULL;

    if (waiting != NULL && waiting->attempts > 0 && waiting->last_error != NULL)
      text = g_strdup_printf ("%s — %s", count, waiting->last_error);
    show (self, MODE_IDLE, text != NULL ? text : count, FALSE, text != NULL,
          self->send_now_button, NULL);
  }
}

/* ------------------------------------------------------------------ outbox events */

static void
queued_cb (PigeonComposerOutboxes *outboxes,
           PigeonOutbox           *outbox,
           gint64                  id,
           const char             *subject,
           gint64                  send_after,
           PigeonComposerStatus   *self)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *text = NULL;

  set_about (self, outbox, id);
  if (send_after <= now + pigeon_outbox_get_undo_delay (outbox) + 1)
    {
      text = g_strdup_printf (_("Sending “%s”…"), shown_subject (subject));
      show (self, MODE_UNDO, text, TRUE, FALSE, self->undo_button, NULL);
      refresh_in (self, (guint) MAX (send_after - now, 0) * 1000 + 500);
    }
  else
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (send_after);
      /* Translators: a date and time, see strftime. */
      g_autofree char *date = g_date_time_format (when, _("%a, %-d %b at %H:%M"));

      text = g_strdup_printf (_("“%s” will be sent on %s"), shown_subject (subject), date);
      show (self, MODE_UNDO, text, FALSE, FALSE, self->undo_button, self->close_button, NULL);
      refresh_in (self, 8000);
    }
}

static void
sent_cb (PigeonComposerOutboxes *outboxes,
         PigeonOutbox           *outbox,
         gint64                  id,
         const char             *subject,
         GStrv                   rejected,
         PigeonComposerStatus   *self)
{
  if (rejected != NULL && rejected[0] != NULL)
    {
      g_autofree char *who = g_strjoinv ("; ", rejected);
      g_autofree char *text = g_strdup_printf (_("“%s” was sent, but not to everyone: %s"),
                                               shown_subject (subject), who);

      g_clear_handle_id (&self->timeout_id, g_source_remove);
      show (self, MODE_NOTICE, text, FALSE, TRUE, self->close_button, NULL);
      return;
    }
  if (self->mode == MODE_NOTICE || self->mode == MODE_FAILED)
    return;
  show (self, MODE_NOTICE, _("Message sent"), FALSE, FALSE, NULL);
  refresh_in (self, NOTICE_SECONDS * 1000);
}

static void
failed_cb (PigeonComposerOutboxes *outboxes,
           PigeonOutbox           *outbox,
           gint64                  id,
           const char             *subject,
           const char             *why,
           PigeonComposerStatus   *self)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->mode = MODE_IDLE;
  refresh (self);
}

static void
n_waiting_cb (PigeonComposerOutboxes *outboxes,
              GParamSpec             *pspec,
              PigeonComposerStatus   *self)
{
  refresh (self);
}

/* ------------------------------------------------------------------ buttons */

static void
taken_back_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(PigeonComposerStatus) self = user_data;
  g_autoptr(PigeonOutboxEntry) entry = NULL;
  g_autoptr(GError) error = NULL;
  PigeonComposer *composer;

  entry = pigeon_outbox_undo_finish (PIGEON_OUTBOX (source), result, &error);
  if (entry == NULL)
    {
      show (self, MODE_NOTICE, error->message, FALSE, TRUE, self->close_button, NULL);
      return;
    }
  composer = pigeon_composer_new_from_outbox (self->app,
                                              pigeon_outbox_get_account (PIGEON_OUTBOX (source)),
                                              entry);
  gtk_window_present (GTK_WINDOW (composer));
  self->mode = MODE_IDLE;
  refresh (self);
}

static void
take_back (PigeonComposerStatus *self)
{
  if (self->outbox == NULL)
    return;
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  pigeon_outbox_undo_async (self->outbox, self->id, NULL, taken_back_cb, g_object_ref (self));
}

static void
undo_clicked_cb (PigeonComposerStatus *self)
{
  take_back (self);
}

static void
edit_clicked_cb (PigeonComposerStatus *self)
{
  take_back (self);
}

static void
send_now_clicked_cb (PigeonComposerStatus *self)
{
  g_autoptr(GPtrArray) outboxes = pigeon_composer_outboxes_list (self->outboxes);

  for (guint i = 0; i < outboxes->len; i++)
    pigeon_outbox_send_now (g_ptr_array_index (outboxes, i));
  show (self, MODE_IDLE, _("Sending…"), TRUE, FALSE, NULL);
}

static void
retry_clicked_cb (PigeonComposerStatus *self)
{
  g_autoptr(GError) error = NULL;

  if (self->outbox == NULL)
    return;
  if (!pigeon_outbox_retry (self->outbox, self->id, &error))
    {
      show (self, MODE_NOTICE, error->message, FALSE, TRUE, self->close_button, NULL);
      return;
    }
  pigeon_outbox_send_now (self->outbox);
  self->mode = MODE_IDLE;
  refresh (self);
}

static void
close_clicked_cb (PigeonComposerStatus *self)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->mode = MODE_IDLE;
  gtk_revealer_set_reveal_child (GTK_REVEALER (self), FALSE);
  refresh (self);
}

/* ------------------------------------------------------------------ GObject */

static void
pigeon_composer_status_dispose (GObject *object)
{
  PigeonComposerStatus *self = (PigeonComposerStatus *) object;

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->outboxes != NULL)
    g_signal_handlers_disconnect_by_data (self->outboxes, self);
  self->outboxes = NULL;
  g_clear_object (&self->outbox);
  g_clear_object (&self->app);

  G_OBJECT_CLASS (pigeon_composer_status_parent_class)->dispose (object);
}

static void
pigeon_composer_status_class_init (PigeonComposerStatusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pigeon_composer_status_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/pigeonmail/Pigeon/pigeon-composer-status.ui");
  gtk_widget_class_bind_template_child (widget_class, PigeonComposerStatus, spinner);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposerStatus, icon);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposerStatus, label);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposerStatus, undo_button);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposerStatus, send_now_button);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposerStatus, retry_button);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposerStatus, edit_button);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposerStatus, close_button);
  gtk_widget_class_bind_template_callback (widget_class, undo_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, edit_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, send_now_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, retry_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, close_clicked_cb);
}

static void
pigeon_composer_status_init (PigeonComposerStatus *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

PigeonComposerStatus *
pigeon_composer_status_new (PigeonApplication *app)
{
  PigeonComposerStatus *self;

  g_return_val_if_fail (PIGEON_IS_APPLICATION (app), NULL);

  self = g_object_new (PIGEON_TYPE_COMPOSER_STATUS, NULL);
  pigeon_composer_status_set_application (self, app);
  return self;
}

void
pigeon_composer_status_set_application (PigeonComposerStatus *self,
                                        PigeonApplication    *app)
{
  g_return_if_fail (PIGEON_IS_COMPOSER_STATUS (self));
  g_return_if_fail (PIGEON_IS_APPLICATION (app));
  g_return_if_fail (self->app == NULL);

  self->app = g_object_ref (app);
  self->outboxes = pigeon_composer_outboxes_get_default (app);
  g_signal_connect_object (self->outboxes, "queued", G_CALLBACK (queued_cb), self, 0);
  g_signal_connect_object (self->outboxes, "sent", G_CALLBACK (sent_cb), self, 0);
  g_signal_connect_object (self->outboxes, "failed", G_CALLBACK (failed_cb), self, 0);
  g_signal_connect_object (self->outboxes, "notify::n-waiting", G_CALLBACK (n_waiting_cb), self,
                           0);
  refresh (self);
}
