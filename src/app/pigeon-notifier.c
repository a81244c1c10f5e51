/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-message-list-private.h"
#include "pigeon-notifier.h"
#include "pigeon-settings.h"
#include "pigeon-store-list.h"

/* New mail is gathered this long, so a burst makes one notification. */
#define GATHER_MS 1500
/* Lines of "Sender: Subject" in a notification about several messages. */
#define MAX_LINES 3

typedef struct
{
  PigeonNotifier *notifier;
  PigeonSession *session;
  PigeonStore *store;
  GArray *pending;       /* gint64 ids heard of, not yet told */
  guint gather_source;
} Watch;

struct _PigeonNotifier
{
  GObject parent_instance;

  PigeonApplication *application;
  GPtrArray *watches;    /* Watch* */
};

G_DEFINE_FINAL_TYPE (PigeonNotifier, pigeon_notifier, G_TYPE_OBJECT)

static void rewatch (PigeonNotifier *self);

static void
watch_free (gpointer data)
{
  Watch *w = data;

  g_clear_handle_id (&w->gather_source, g_source_remove);
  g_signal_handlers_disconnect_by_data (w->session, w);
  if (w->store != NULL)
    g_signal_handlers_disconnect_by_data (w->store, w);
  g_clear_object (&w->store);
  g_clear_object (&w->session);
  g_array_unref (w->pending);
  g_free (w);
}

void
pigeon_notifier_describe (const char  *account_name,
                          GPtrArray   *new_messages,
                          char       **title,
                          char       **body)
{
  g_autoptr(GString) text = g_string_new (NULL);

  if (new_messages->len == 1)
    {
      const PigeonMessage *m = g_ptr_array_index (new_messages, 0);
      g_autofree char *sender = pigeon_list_sender_name (m->from);

      *title = g_strdup (*sender ? sender : _("New message"));
      *body = g_strdup (m->subject && *m->subject ? m->subject : _("(No subject)"));
      return;
    }
  /* Translators: the title of a notification; the account's name follows. */
  *title = g_strdup_printf (ngettext ("%u new message in %s", "%u new messages in %s",
                                      new_messages->len),
                            new_messages->len, account_name);
  for (guint i = 0; i < new_messages->len && i < MAX_LINES; i++)
    {
      const PigeonMessage *m = g_ptr_array_index (new_messages, i);
      g_autofree char *sender = pigeon_list_sender_name (m->from);

      if (text->len > 0)
        g_string_append_c (text, '\n');
      /* Translators: one line of a notification: sender, then subject. */
      g_string_append_printf (text, _("%s: %s"), sender,
                              m->subject && *m->subject ? m->subject : _("(No subject)"));
    }
  if (new_messages->len > MAX_LINES)
    {
      g_string_append_c (text, '\n');
      g_string_append_printf (text, ngettext ("and %u more", "and %u more",
                                              new_messages->len - MAX_LINES),
                              new_messages->len - MAX_LINES);
    }
  *body = g_string_free (g_steal_pointer (&text), FALSE);
}

static int
newest_first (gconstpointer a,
              gconstpointer b)
{
  const PigeonMessage *ma = *(PigeonMessage * const *) a;
  const PigeonMessage *mb = *(PigeonMessage * const *) b;

  if (ma->date != mb->date)
    return ma->date > mb->date ? -1 : 1;
  return ma->id > mb->id ? -1 : (ma->id < mb->id);
}

static gboolean
tell_cb (gpointer user_data)
{
  Watch *w = user_data;
  PigeonAccount *account = pigeon_session_get_account (w->session);
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GPtrArray) unread = g_ptr_array_new ();
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *title = NULL;
  g_autofree char *body = NULL;
  g_autofree char *id = NULL;
  const PigeonMessage *newest;

  w->gather_source = 0;
  messages = pigeon_store_get_messages (w->store, (const gint64 *) (gpointer) w->pending->data,
                                        w->pending->len, NULL);
  g_array_set_size (w->pending, 0);
  if (messages == NULL)
    return G_SOURCE_REMOVE;
  /* Read already (on another device, or by the user here): no news. */
  for (guint i = 0; i < messages->len; i++)
    {
      PigeonMessage *m = g_ptr_array_index (messages, i);

      if ((m->flags & PIGEON_MESSAGE_FLAG_SEEN) == 0)
        g_ptr_array_add (unread, m);
    }
  if (unread->len == 0)
    return G_SOURCE_REMOVE;
  g_ptr_array_sort (unread, newest_first);
  newest = g_ptr_array_index (unread, 0);

  pigeon_notifier_describe (pigeon_account_get_name (account), unread, &title, &body);
  notification = g_notification_new (title);
  g_notification_set_body (notification, body);
  g_notification_set_category (notification, "email.arrived");
  g_notification_set_default_action_and_target_value (
    notification, "app.show-message",
    g_variant_new ("(sx)", pigeon_account_get_id (account), newest->id));
  /* One per account: the next replaces it. */
  id = g_strdup_printf ("new-mail-%s", pigeon_account_get_id (account));
  g_application_send_notification (G_APPLICATION (w->notifier->application), id, notification);
  return G_SOURCE_REMOVE;
}

static void
messages_changed_cb (PigeonStore       *store,
                     PigeonStoreChange *change,
                     Watch             *w)
{
  g_autoptr(PigeonFolder) folder = NULL;

  if (change->added == NULL || change->added->len == 0 ||
      !pigeon_session_get_initial_sync_done (w->session) ||
      !pigeon_account_get_notify (pigeon_session_get_account (w->session)) ||
      !pigeon_settings_get_boolean ("notifications", TRUE))
    return;
  folder = pigeon_store_get_folder (store, change->folder_id, NULL);
  if (folder == NULL || folder->role != PIGEON_FOLDER_ROLE_INBOX)
    return;
  g_array_append_vals (w->pending, change->added->data, change->added->len);
  if (w->gather_source == 0)
    {
      w->gather_source = g_timeout_add (GATHER_MS, tell_cb, w);
      g_source_set_name_by_id (w->gather_source, "[pigeon] new mail notification");
    }
}

static void
store_changed_cb (PigeonSession *session,
                  GParamSpec    *pspec,
                  Watch         *w)
{
  PigeonStore *store = pigeon_session_get_store (session);

  if (store == w->store)
    return;
  if (w->store != NULL)
    g_signal_handlers_disconnect_by_data (w->store, w);
  g_set_object (&w->store, store);
  if (store != NULL)
    g_signal_connect (store, "messages-changed", G_CALLBACK (messages_changed_cb), w);
}

static void
rewatch (PigeonNotifier *self)
{
  GListModel *accounts = G_LIST_MODEL (pigeon_application_get_manager (self->application));

  g_ptr_array_set_size (self->watches, 0);
  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr(PigeonAccount) account = g_list_model_get_item (accounts, i);
      PigeonSession *session = pigeon_application_get_session (self->application, account);
      Watch *w;

      if (session == NULL)
        continue;
      w = g_new0 (Watch, 1);
      w->notifier = self;
      w->session = g_object_ref (session);
      w->pending = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_signal_connect (session, "notify::store", G_CALLBACK (store_changed_cb), w);
      store_changed_cb (session, NULL, w);
      g_ptr_array_add (self->watches, w);
    }
}

static void
accounts_changed_cb (GListModel     *model,
                     guint           position,
                     guint           removed,
                     guint           added,
                     PigeonNotifier *self)
{
  rewatch (self);
}

static void
pigeon_notifier_dispose (GObject *object)
{
  PigeonNotifier *self = (PigeonNotifier *) object;

  if (self->watches != NULL)
    g_ptr_array_set_size (self->watches, 0);
  if (self->application != NULL)
    {
      g_signal_handlers_disconnect_by_data (pigeon_application_get_manager (self->application),
                                            self);
      g_clear_object (&self->application);
    }

  G_OBJECT_CLASS (pigeon_notifier_parent_class)->dispose (object);
}

static void
pigeon_notifier_finalize (GObject *object)
{
  PigeonNotifier *self = (PigeonNotifier *) object;

  g_clear_pointer (&self->watches, g_ptr_array_unref);

  G_OBJECT_CLASS (pigeon_notifier_parent_class)->finalize (object);
}

static void
pigeon_notifier_class_init (PigeonNotifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pigeon_notifier_dispose;
  object_class->finalize = pigeon_notifier_finalize;
}

static void
pigeon_notifier_init (PigeonNotifier *self)
{
  self->watches = g_ptr_array_new_with_free_func (watch_free);
}

PigeonNotifier *
pigeon_notifier_new (PigeonApplication *application)
{
  PigeonNotifier *self;

  g_return_val_if_fail (PIGEON_IS_APPLICATION (application), NULL);

  self = g_object_new (PIGEON_TYPE_NOTIFIER, NULL);
  self->application = g_object_ref (application);
  /* After the application's own handler, so the sessions exist. */
  g_signal_connect_after (pigeon_application_get_manager (application), "items-changed",
                          G_CALLBACK (accounts_changed_cb), self);
  rewatch (self);
  return self;
}
