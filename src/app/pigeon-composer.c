/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "pigeon-composer.h"
#include "pigeon-composer-address.h"
#include "pigeon-composer-attachment.h"
#include "pigeon-composer-outboxes.h"
#include "pigeon-composer-private.h"
#include "pigeon-error.h"
#include "pigeon-provider.h"

#define AUTOSAVE_SECONDS 5

struct _PigeonComposer
{
  GtkApplicationWindow parent_instance;

  GtkHeaderBar *header_bar;
  GtkBox *content_box;
  GtkInfoBar *info_bar;
  GtkLabel *info_label;
  GtkComboBoxText *from_combo;
  GtkEntry *to_entry;
  GtkEntry *cc_entry;
  GtkEntry *bcc_entry;
  GtkEntry *subject_entry;
  GtkToggleButton *cc_toggle;
  GtkToggleButton *bcc_toggle;
  GtkRevealer *format_revealer;
  GtkStack *body_stack;
  GtkTextView *body_view;
  WebKitWebView *html_view;
  GtkRevealer *attachments_revealer;
  GtkFlowBox *attachments_box;
  GtkCalendar *later_calendar;
  GtkSpinButton *later_hour;
  GtkSpinButton *later_minute;
  GtkPopover *send_later_popover;
  GtkPopover *link_popover;
  GtkEntry *link_entry;

  PigeonApplication *app;
  PigeonAccount *account;          /* From */
  char *identity;                  /* one of the account's other identities, or NULL */
  char *signature;                 /* the signature block now in the body, or NULL */

  /* What the message answers or forwards. */
  PigeonComposeMode mode;
  PigeonAccount *original_account;
  gint64 original_id;
  char *in_reply_to;
  char *references;

  /* The draft of this message: the row it was last saved as, and where. */
  gint64 draft_id;
  PigeonStore *draft_store;
  gboolean dirty;
  gboolean saving;
  gboolean closing;                /* close once the draft is saved */
  guint autosave_id;

  gboolean filling;                /* fields set by us, not typed */
  gboolean loading;                /* the original is still being read */
  gboolean sending;
  gboolean sent;
  gboolean rich;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (PigeonComposer, pigeon_composer, GTK_TYPE_APPLICATION_WINDOW)

static void save_draft (PigeonComposer *self);
static void finish_closing (PigeonComposer *self);

/* ------------------------------------------------------------------ small helpers */

static void
show_error (PigeonComposer *self,
            const char     *text)
{
  gtk_label_set_text (self->info_label, text);
  gtk_info_bar_set_message_type (self->info_bar, GTK_MESSAGE_ERROR);
  gtk_widget_show (GTK_WIDGET (self->info_bar));
}

static void
info_bar_response_cb (GtkInfoBar     *info_bar,
                      int             response,
                      PigeonComposer *self)
{
  gtk_widget_hide (GTK_WIDGET (info_bar));
}

static void
set_subtitle (PigeonComposer *self,
              const char     *text)
{
  gtk_header_bar_set_subtitle (self->header_bar, text);
}

static PigeonStore *
store_of (PigeonComposer *self,
          PigeonAccount  *account)
{
  PigeonSession *session;

  if (account == NULL)
    return NULL;
  session = pigeon_application_get_session (self->app, account);
  return session != NULL ? pigeon_session_get_store (session) : NULL;
}

static PigeonAccount *
account_by_id (PigeonComposer *self,
               const char     *id)
{
  GListModel *accounts = G_LIST_MODEL (pigeon_application_get_manager (self->app));

  for (guint i = 0; id != NULL && i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr(PigeonAccount) account = g_list_model_get_item (accounts, i);

      if (g_strcmp0 (pigeon_account_get_id (account), id) == 0)
        return account;
    }
  return NULL;
}

/* Drafts and Sent live where the account's server keeps mail, else in the store. */
static gboolean
keeps_folders_locally (PigeonAccount *account)
{
  PigeonProviderClass *klass = pigeon_provider_class_lookup (pigeon_account_get_protocol (account));

  return klass == NULL || (klass->caps & PIGEON_PROVIDER_CAP_SERVER_KEEPS_MAIL) == 0;
}

static char *
get_plain_text (PigeonComposer *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->body_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
set_plain_text (PigeonComposer *self,
                const char     *text)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->body_view);
  GtkTextIter start;

  gtk_text_buffer_set_text (buffer, text != NULL ? text : "", -1);
  gtk_text_buffer_get_start_iter (buffer, &start);
  gtk_text_buffer_place_cursor (buffer, &start);
}

static GList *
attachment_widgets (PigeonComposer *self)
{
  GList *out = NULL;
  g_autoptr(GList) children = gtk_container_get_children (GTK_CONTAINER (self->attachments_box));

  for (GList *l = children; l; l = l->next)
    out = g_list_append (out, gtk_bin_get_child (GTK_BIN (l->data)));
  return out;
}

static void
mark_dirty (PigeonComposer *self)
{
  if (self->filling || self->loading || self->sent)
    return;
  self->dirty = TRUE;
}

/* ------------------------------------------------------------------ the From account */

static char *
signature_block (PigeonAccount *account)
{
  const char *signature = account != NULL ? pigeon_account_get_signature (account) : NULL;

  if (signature == NULL || *signature == '\0')
    return NULL;
  /* "-- " on a line of its own: mail programs know to leave it out of replies. */
  return g_strdup_printf ("-- \n%s", signature);
}

/* The new account's signature replaces the old one where the body has it. */
static void
swap_signature (PigeonComposer *self)
{
  g_autofree char *block = signature_block (self->account);
  g_autofree char *text = NULL;
  char *found;

  if (self->rich || g_strcmp0 (block, self->signature) == 0)
    return;
  text = get_plain_text (self);
  if (self->signature != NULL && (found = strstr (text, self->signature)) != NULL)
    {
      GString *swapped = g_string_new_len (text, found - text);

      if (block != NULL)
        g_string_append (swapped, block);
      g_string_append (swapped, found + strlen (self->signature));
      self->filling = TRUE;
      set_plain_text (self, swapped->str);
      self->filling = FALSE;
      g_string_free (swapped, TRUE);
    }
  g_free (self->signature);
  self->signature = g_steal_pointer (&block);
}

static gboolean
identity_has_address (const char *identity,
                      const char *address)
{
  InternetAddressList *list = internet_address_list_parse (NULL, identity);
  InternetAddress *first;
  gboolean same = FALSE;

  if (list == NULL)
    return FALSE;
  first = internet_address_list_length (list) > 0 ? internet_address_list_get_address (list, 0)
                                                  : NULL;
  if (first != NULL && INTERNET_ADDRESS_IS_MAILBOX (first))
    same = g_ascii_strcasecmp (internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (first)),
                               address) == 0;
  g_object_unref (list);
  return same;
}

/* Each account's own address, then its other identities: ids "ACCOUNT" and "ACCOUNT/N". */
static void
fill_from_combo (PigeonComposer *self)
{
  GListModel *accounts = G_LIST_MODEL (pigeon_application_get_manager (self->app));

  self->filling = TRUE;
  gtk_combo_box_text_remove_all (self->from_combo);
  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr(PigeonAccount) account = g_list_model_get_item (accounts, i);
      g_auto(GStrv) identities = pigeon_account_dup_identities (account);

      for (guint n = 0; identities[n] != NULL; n++)
        {
          g_autofree char *id = n == 0 ? g_strdup (pigeon_account_get_id (account))
                                       : g_strdup_printf ("%s/%u", pigeon_account_get_id (account), n);

          gtk_combo_box_text_append (self->from_combo, id, identities[n]);
        }
    }
  if (self->account != NULL)
    {
      g_auto(GStrv) identities = pigeon_account_dup_identities (self->account);
      g_autofree char *active = g_strdup (pigeon_account_get_id (self->account));

      for (guint n = 1; self->identity != NULL && identities[n] != NULL; n++)
        if (g_strcmp0 (identities[n], self->identity) == 0)
          {
            g_free (active);
            active = g_strdup_printf ("%s/%u", pigeon_account_get_id (self->account), n);
          }
      gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->from_combo), active);
    }
  self->filling = FALSE;
}

static void
from_changed_cb (GtkComboBox    *combo,
                 PigeonComposer *self)
{
  const char *id = gtk_combo_box_get_active_id (combo);
  g_auto(GStrv) parts = id != NULL ? g_strsplit (id, "/", 2) : NULL;
  PigeonAccount *account = parts != NULL ? account_by_id (self, parts[0]) : NULL;
  g_autofree char *identity = NULL;

  if (account == NULL)
    return;
  if (parts[1] != NULL)
    {
      g_auto(GStrv) identities = pigeon_account_dup_identities (account);
      guint64 n = 0;

      if (g_ascii_string_to_unsigned (parts[1], 10, 1, g_strv_length (identities) - 1, &n, NULL))
        identity = g_strdup (identities[n]);
    }
  if (account == self->account && g_strcmp0 (identity, self->identity) == 0)
    return;
  g_free (self->identity);
  self->identity = g_steal_pointer (&identity);
  if (account != self->account)
    {
      g_set_object (&self->account, account);
      swap_signature (self);
    }
  mark_dirty (self);
}

static void
set_account (PigeonComposer *self,
             PigeonAccount  *account)
{
  g_clear_pointer (&self->identity, g_free);
  if (account == NULL)
    {
      GListModel *accounts = G_LIST_MODEL (pigeon_application_get_manager (self->app));

      if (g_list_model_get_n_items (accounts) > 0)
        {
          g_autoptr(PigeonAccount) first = g_list_model_get_item (accounts, 0);

          g_set_object (&self->account, first);
        }
    }
  else
    {
      g_set_object (&self->account, account);
    }
  fill_from_combo (self);
}

/* ------------------------------------------------------------------ fields */

static void
field_changed_cb (GtkEditable    *editable,
                  PigeonComposer *self)
{
  mark_dirty (self);
}

static void
subject_changed_cb (GtkEditable    *editable,
                    PigeonComposer *self)
{
  const char *subject = gtk_entry_get_text (self->subject_entry);

  gtk_header_bar_set_title (self->header_bar, *subject != '\0' ? subject : _("New Message"));
  mark_dirty (self);
}

static void
buffer_changed_cb (GtkTextBuffer  *buffer,
                   PigeonComposer *self)
{
  mark_dirty (self);
}

static void
html_changed_cb (PigeonComposer *self)
{
  mark_dirty (self);
}

void
pigeon_composer_set_fields (PigeonComposer *self,
                            const char     *to,
                            const char     *cc,
                            const char     *subject,
                            const char     *body)
{
  g_return_if_fail (PIGEON_IS_COMPOSER (self));

  if (to != NULL)
    gtk_entry_set_text (self->to_entry, to);
  if (cc != NULL)
    {
      gtk_entry_set_text (self->cc_entry, cc);
      gtk_toggle_button_set_active (self->cc_toggle, *cc != '\0');
    }
  if (subject != NULL)
    gtk_entry_set_text (self->subject_entry, subject);
  if (body != NULL)
    set_plain_text (self, body);
}

/* ------------------------------------------------------------------ attachments */

static void
attachment_remove_cb (PigeonComposerAttachment *attachment,
                      PigeonComposer           *self)
{
  GtkWidget *child = gtk_widget_get_parent (GTK_WIDGET (attachment));
  g_autoptr(GList) left = NULL;

  gtk_container_remove (GTK_CONTAINER (self->attachments_box), child);
  left = attachment_widgets (self);
  gtk_revealer_set_reveal_child (self->attachments_revealer, left != NULL);
  mark_dirty (self);
}

static void
add_attachment (PigeonComposer *self,
                const char     *name,
                const char     *content_type,
                GBytes         *data,
                gboolean        is_message)
{
  PigeonComposerAttachment *attachment = pigeon_composer_attachment_new (name, content_type,
                                                                         data, is_message);

  g_signal_connect_object (attachment, "take-off", G_CALLBACK (attachment_remove_cb), self, 0);
  gtk_container_add (GTK_CONTAINER (self->attachments_box), GTK_WIDGET (attachment));
  gtk_revealer_set_reveal_child (self->attachments_revealer, TRUE);
  mark_dirty (self);
}

typedef struct
{
  PigeonComposer *self;
  GFile *file;
} FileLoad;

static void
file_loaded_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  FileLoad *load = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_file_load_bytes_finish (G_FILE (source), result, NULL, &error);
  g_autofree char *name = g_file_get_basename (load->file);

  if (bytes == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *text = g_strdup_printf (_("“%s” could not be attached: %s"), name,
                                                   error->message);

          show_error (load->self, text);
        }
    }
  else
    {
      g_autofree char *guessed = g_content_type_guess (name, g_bytes_get_data (bytes, NULL),
                                                       MIN (g_bytes_get_size (bytes), 4096),
                                                       NULL);
      g_autofree char *mime_type = g_content_type_get_mime_type (guessed);

      add_attachment (load->self, name, mime_type, bytes, FALSE);
    }
  g_object_unref (load->self);
  g_object_unref (load->file);
  g_free (load);
}

static void
attach_file (PigeonComposer *self,
             GFile          *file)
{
  FileLoad *load = g_new0 (FileLoad, 1);

  load->self = g_object_ref (self);
  load->file = g_object_ref (file);
  g_file_load_bytes_async (file, self->cancellable, file_loaded_cb, load);
}

static void
chooser_response_cb (GtkNativeDialog *chooser,
                     int              response,
                     PigeonComposer  *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GSList) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (chooser));

      for (GSList *l = files; l; l = l->next)
        {
          attach_file (self, l->data);
          g_object_unref (l->data);
        }
    }
  g_object_unref (chooser);
}

static void
attach_action (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  PigeonComposer *self = user_data;
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Attach Files"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Attach"),
                                         _("_Cancel"));
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (chooser), TRUE);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
drag_data_received_cb (GtkWidget        *widget,
                       GdkDragContext   *context,
                       int               x,
                       int               y,
                       GtkSelectionData *data,
                       guint             info,
                       guint             time,
                       PigeonComposer   *self)
{
  g_auto(GStrv) uris = gtk_selection_data_get_uris (data);
  gboolean any = FALSE;

  for (guint i = 0; uris != NULL && uris[i] != NULL; i++)
    {
      g_autoptr(GFile) file = g_file_new_for_uri (uris[i]);

      if (g_file_query_file_type (file, G_FILE_QUERY_INFO_NONE, NULL) != G_FILE_TYPE_REGULAR)
        continue;
      attach_file (self, file);
      any = TRUE;
    }
  if (any)
    {
      /* Files become attachments, not their names in the text. */
      g_signal_stop_emission_by_name (widget, "drag-data-received");
      gtk_drag_finish (context, TRUE, FALSE, time);
    }
}

/* ------------------------------------------------------------------ what the user wrote */

typedef struct
{
  char *to;
  char *cc;
  char *bcc;
  char *subject;
  char *text;
  char *html;
  GPtrArray *attachments;      /* PigeonComposerAttachment (ref) */
  PigeonAccount *account;
  char *identity;        /* "Name <addr>" chosen in From, NULL for the account's own */
  char *in_reply_to;
  char *references;
} Content;

static void
content_free (Content *content)
{
  g_free (content->to);
  g_free (content->cc);
  g_free (content->bcc);
  g_free (content->subject);
  g_free (content->text);
  g_free (content->html);
  g_ptr_array_unref (content->attachments);
  g_clear_object (&content->account);
  g_free (content->identity);
  g_free (content->in_reply_to);
  g_free (content->references);
  g_free (content);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Content, content_free)

static Content *
content_snapshot (PigeonComposer *self)
{
  Content *content = g_new0 (Content, 1);
  g_autoptr(GList) attachments = attachment_widgets (self);

  content->to = g_strdup (gtk_entry_get_text (self->to_entry));
  content->cc = g_strdup (gtk_entry_get_text (self->cc_entry));
  content->bcc = g_strdup (gtk_entry_get_text (self->bcc_entry));
  content->subject = g_strdup (gtk_entry_get_text (self->subject_entry));
  if (!self->rich)
    content->text = get_plain_text (self);
  content->attachments = g_ptr_array_new_with_free_func (g_object_unref);
  for (GList *l = attachments; l; l = l->next)
    g_ptr_array_add (content->attachments, g_object_ref (l->data));
  content->account = self->account != NULL ? g_object_ref (self->account) : NULL;
  content->identity = g_strdup (self->identity);
  content->in_reply_to = g_strdup (self->in_reply_to);
  content->references = g_strdup (self->references);
  return content;
}

static gboolean
content_is_empty (const Content *content)
{
  g_autofree char *text = g_strdup (content->text != NULL ? content->text : "");

  return *g_strstrip (content->to) == '\0' && *g_strstrip (content->cc) == '\0' &&
         *g_strstrip (content->bcc) == '\0' && *g_strstrip (content->subject) == '\0' &&
         *g_strstrip (text) == '\0' && content->attachments->len == 0 && content->html == NULL;
}

typedef void (*ContentFunc) (PigeonComposer *self,
                             Content        *content);

typedef struct
{
  PigeonComposer *self;
  Content *content;
  ContentFunc func;
} ContentRead;

static void
html_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  ContentRead *read = user_data;
  g_autoptr(GError) error = NULL;

  if (!pigeon_composer_body_read_finish (WEBKIT_WEB_VIEW (source), result, &read->content->html,
                                         &read->content->text, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (read->self, error->message);
      if (read->self->saving)
        {
          read->self->saving = FALSE;
          g_application_release (G_APPLICATION (read->self->app));
          finish_closing (read->self);
        }
      read->self->sending = FALSE;
      content_free (read->content);
    }
  else
    {
      read->func (read->self, read->content);
    }
  g_object_unref (read->self);
  g_free (read);
}

/* FUNC gets what the user wrote, once the rich text (if any) has been read back. */
static void
with_content (PigeonComposer *self,
              ContentFunc     func)
{
  ContentRead *read;

  if (!self->rich)
    {
      func (self, content_snapshot (self));
      return;
    }
  read = g_new0 (ContentRead, 1);
  read->self = g_object_ref (self);
  read->content = content_snapshot (self);
  read->func = func;
  pigeon_composer_body_read_async (self->html_view, self->cancellable, html_read_cb, read);
}

/* ------------------------------------------------------------------ building the message */

typedef struct
{
  GBytes *raw;
  GStrv recipients;
  char *from;
} Built;

static void
built_free (Built *built)
{
  g_clear_pointer (&built->raw, g_bytes_unref);
  g_strfreev (built->recipients);
  g_free (built->from);
  g_free (built);
}

static gboolean
add_field (PigeonMessageBuilder  *builder,
           PigeonRecipientKind    kind,
           const char            *text,
           gboolean               draft,
           GError               **error)
{
  g_autoptr(GError) local_error = NULL;

  if (pigeon_message_builder_add_recipients (builder, kind, text, &local_error))
    return TRUE;
  if (draft)
    {
      /* A draft keeps the field as typed, addresses or not. */
      pigeon_message_builder_set_unparsed (builder, kind, text);
      return TRUE;
    }
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/* From: the account's own name and address, or the other identity picked for it. */
static gboolean
set_from (PigeonMessageBuilder *builder,
          const Content        *content,
          GError              **error)
{
  InternetAddressList *list;
  InternetAddress *address;

  if (content->identity == NULL)
    {
      pigeon_message_builder_set_from (builder, pigeon_account_get_real_name (content->account),
                                       pigeon_account_get_email (content->account));
      return TRUE;
    }
  list = internet_address_list_parse (NULL, content->identity);
  address = list != NULL && internet_address_list_length (list) > 0
              ? internet_address_list_get_address (list, 0) : NULL;
  if (address == NULL || !INTERNET_ADDRESS_IS_MAILBOX (address))
    {
      g_clear_object (&list);
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("“%s” is not an address to send from"), content->identity);
      return FALSE;
    }
  pigeon_message_builder_set_from (builder, internet_address_get_name (address),
                                   internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (address)));
  g_object_unref (list);
  return TRUE;
}

static Built *
build_message (Content   *content,
               gboolean   draft,
               GError   **error)
{
  g_autoptr(PigeonMessageBuilder) builder = pigeon_message_builder_new ();
  Built *built;

  if (!set_from (builder, content, error))
    return NULL;
  if (!add_field (builder, PIGEON_RECIPIENT_TO, content->to, draft, error) ||
      !add_field (builder, PIGEON_RECIPIENT_CC, content->cc, draft, error) ||
      !add_field (builder, PIGEON_RECIPIENT_BCC, content->bcc, draft, error))
    return NULL;
  pigeon_message_builder_set_subject (builder, content->subject);
  pigeon_message_builder_set_text (builder, content->text);
  if (content->html != NULL)
    pigeon_message_builder_set_html (builder, content->html);
  for (guint i = 0; i < content->attachments->len; i++)
    {
      PigeonComposerAttachment *a = g_ptr_array_index (content->attachments, i);

      if (pigeon_composer_attachment_is_message (a))
        pigeon_message_builder_add_message (builder, pigeon_composer_attachment_get_name (a),
                                            pigeon_composer_attachment_get_data (a));
      else
        pigeon_message_builder_add_attachment (builder, pigeon_composer_attachment_get_name (a),
                                               pigeon_composer_attachment_get_content_type (a),
                                               pigeon_composer_attachment_get_data (a));
    }
  pigeon_message_builder_set_in_reply_to (builder, content->in_reply_to);
  pigeon_message_builder_set_references (builder, content->references);

  built = g_new0 (Built, 1);
  built->raw = pigeon_message_builder_build (builder,
                                              draft ? PIGEON_MESSAGE_FOR_DRAFT
                                                    : PIGEON_MESSAGE_FOR_SENDING,
                                              error);
  if (built->raw == NULL)
    {
      built_free (built);
      return NULL;
    }
  built->recipients = pigeon_message_builder_dup_recipients (builder);
  built->from = g_strdup (pigeon_message_builder_get_from_address (builder));
  return built;
}

/* Runs off the UI thread: base64 of large attachments takes a moment. */
static void
build_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  gboolean draft = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (task), "draft"));
  GError *error = NULL;
  Built *built = build_message (task_data, draft, &error);

  if (built == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, built, (GDestroyNotify) built_free);
}

static void
build_async (PigeonComposer      *self,
             Content             *content,
             gboolean             draft,
             GAsyncReadyCallback  callback)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, callback, NULL);

  g_task_set_source_tag (task, build_async);
  g_object_set_data (G_OBJECT (task), "draft", GINT_TO_POINTER (draft));
  g_task_set_task_data (task, content, (GDestroyNotify) content_free);
  g_task_run_in_thread (task, build_thread);
}

/* ------------------------------------------------------------------ drafts */

static void
finish_closing (PigeonComposer *self)
{
  if (self->closing)
    gtk_widget_destroy (GTK_WIDGET (self));
}

static void
draft_saved_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PigeonComposer) self = user_data;
  g_autoptr(GError) error = NULL;
  gint64 id;

  id = pigeon_store_save_draft_finish (PIGEON_STORE (source), result, &error);
  self->saving = FALSE;
  g_application_release (G_APPLICATION (self->app));
  if (id == 0)
    {
      g_autofree char *text = g_strdup_printf (_("The draft could not be saved: %s"),
                                               error->message);

      g_warning ("%s", text);
      if (!self->closing)
        show_error (self, text);
      finish_closing (self);
      return;
    }
  self->draft_id = id;
  g_set_object (&self->draft_store, PIGEON_STORE (source));
  if (!self->closing)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autofree char *time = g_date_time_format (now, "%H:%M");
      /* Translators: the composer's subtitle, with the time the draft was saved. */
      g_autofree char *text = g_strdup_printf (_("Draft saved at %s"), time);

      set_subtitle (self, text);
    }
  finish_closing (self);
}

static void
draft_built_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  PigeonComposer *self = PIGEON_COMPOSER (source);
  g_autoptr(GError) error = NULL;
  Built *built = g_task_propagate_pointer (G_TASK (result), &error);
  PigeonStore *store = store_of (self, self->account);
  gint64 replaces = self->draft_id;

  if (built == NULL || store == NULL || self->sent)
    {
      self->saving = FALSE;
      g_application_release (G_APPLICATION (self->app));
      if (built == NULL && error != NULL && !self->closing)
        show_error (self, error->message);
      g_clear_pointer (&built, built_free);
      finish_closing (self);
      return;
    }
  /* Written from another account before: that draft goes, this one starts afresh here. */
  if (self->draft_store != NULL && self->draft_store != store && self->draft_id != 0)
    {
      pigeon_store_discard_draft_async (self->draft_store, self->draft_id, NULL, NULL, NULL);
      replaces = 0;
    }
  pigeon_store_save_draft_async (store, built->raw, replaces,
                                 keeps_folders_locally (self->account), NULL, draft_saved_cb,
                                 g_object_ref (self));
  built_free (built);
}

static void
draft_content_cb (PigeonComposer *self,
                  Content        *content)
{
  if (content->account == NULL || (content_is_empty (content) && self->draft_id == 0))
    {
      self->saving = FALSE;
      g_application_release (G_APPLICATION (self->app));
      content_free (content);
      finish_closing (self);
      return;
    }
  set_subtitle (self, _("Saving draft…"));
  build_async (self, content, TRUE, draft_built_cb);
}

/* Saves what changed since the last save.  The application stays alive until it is
 * written, so closing the window or quitting never loses it. */
static void
save_draft (PigeonComposer *self)
{
  if (self->saving || self->sent || self->sending || self->loading)
    return;
  self->saving = TRUE;
  self->dirty = FALSE;
  g_application_hold (G_APPLICATION (self->app));
  with_content (self, draft_content_cb);
}

static gboolean
autosave_cb (gpointer user_data)
{
  PigeonComposer *self = user_data;

  if (self->dirty)
    save_draft (self);
  return G_SOURCE_CONTINUE;
}

static void
save_draft_action (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  PigeonComposer *self = user_data;

  self->dirty = TRUE;
  save_draft (self);
}

static void
discard_action (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  PigeonComposer *self = user_data;

  self->sent = TRUE;        /* nothing more is saved */
  if (self->draft_id != 0 && self->draft_store != NULL)
    pigeon_store_discard_draft_async (self->draft_store, self->draft_id, NULL, NULL, NULL);
  gtk_widget_destroy (GTK_WIDGET (self));
}

static gboolean
pigeon_composer_delete_event (GtkWidget   *widget,
                              GdkEventAny *event)
{
  PigeonComposer *self = PIGEON_COMPOSER (widget);

  if (self->sent || self->loading)
    return GTK_WIDGET_CLASS (pigeon_composer_parent_class)->delete_event (widget, event);
  /* Going into the outbox: a moment, and then the window closes anyway. */
  if (self->sending)
    return TRUE;
  /* The window goes at once; the draft is written behind it. */
  self->closing = TRUE;
  gtk_widget_hide (widget);
  if (self->saving)
    return TRUE;
  if (!self->dirty)
    {
      gtk_widget_destroy (widget);
      return TRUE;
    }
  save_draft (self);
  return TRUE;
}

/* ------------------------------------------------------------------ sending */

static void
queued_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(PigeonComposer) self = user_data;
  PigeonOutbox *outbox = PIGEON_OUTBOX (source);
  g_autoptr(GError) error = NULL;
  const char *subject = g_object_get_data (G_OBJECT (self), "pigeon-last-subject");
  gint64 id;

  id = pigeon_outbox_queue_finish (outbox, result, &error);
  g_application_release (G_APPLICATION (self->app));
  self->sending = FALSE;
  if (id == 0)
    {
      g_autofree char *text = g_strdup_printf (_("The message could not be put in the outbox: "
                                                 "%s"), error->message);

      gtk_widget_set_sensitive (GTK_WIDGET (self->content_box), TRUE);
      show_error (self, text);
      return;
    }
  self->sent = TRUE;
  {
    g_autoptr(PigeonOutboxEntry) entry = pigeon_store_outbox_get (pigeon_outbox_get_store (outbox),
                                                                  id, NULL);

    pigeon_composer_outboxes_note_queued (pigeon_composer_outboxes_get_default (self->app),
                                          outbox, id, subject,
                                          entry != NULL ? entry->send_after : 0);
  }
  if (self->draft_id != 0 && self->draft_store != NULL)
    pigeon_store_discard_draft_async (self->draft_store, self->draft_id, NULL, NULL, NULL);
  if (self->original_id != 0)
    {
      PigeonStore *store = store_of (self, self->original_account);
      PigeonMessageFlags flag = (self->mode == PIGEON_COMPOSE_FORWARD ||
                                 self->mode == PIGEON_COMPOSE_FORWARD_ATTACHMENT)
                                  ? PIGEON_MESSAGE_FLAG_FORWARDED : PIGEON_MESSAGE_FLAG_ANSWERED;

      if (store != NULL && self->mode != PIGEON_COMPOSE_EDIT)
        pigeon_store_change_flags_async (store, &self->original_id, 1, flag, 0, NULL, NULL, NULL);
    }
  gtk_widget_destroy (GTK_WIDGET (self));
}

static void
send_built_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  PigeonComposer *self = PIGEON_COMPOSER (source);
  g_autoptr(GError) error = NULL;
  Built *built = g_task_propagate_pointer (G_TASK (result), &error);
  gint64 send_at = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (result), "send-at"));
  PigeonOutbox *outbox;

  if (built == NULL)
    {
      self->sending = FALSE;
      gtk_widget_set_sensitive (GTK_WIDGET (self->content_box), TRUE);
      show_error (self, error->message);
      return;
    }
  if (built->recipients[0] == NULL)
    {
      self->sending = FALSE;
      gtk_widget_set_sensitive (GTK_WIDGET (self->content_box), TRUE);
      show_error (self, _("Add at least one recipient in To, Cc or Bcc."));
      gtk_widget_grab_focus (GTK_WIDGET (self->to_entry));
      built_free (built);
      return;
    }
  outbox = pigeon_composer_outboxes_lookup (pigeon_composer_outboxes_get_default (self->app),
                                            self->account);
  if (outbox == NULL)
    {
      self->sending = FALSE;
      gtk_widget_set_sensitive (GTK_WIDGET (self->content_box), TRUE);
      show_error (self, _("The account is still starting up. Try again in a moment."));
      built_free (built);
      return;
    }
  g_application_hold (G_APPLICATION (self->app));
  /* What the status bar will name it by. */
  g_object_set_data_full (G_OBJECT (self), "pigeon-last-subject",
                          g_strdup (gtk_entry_get_text (self->subject_entry)), g_free);
  pigeon_outbox_queue_async (outbox, built->raw, built->from,
                             (const char * const *) built->recipients, send_at, NULL, queued_cb,
                             g_object_ref (self));
  built_free (built);
}

typedef struct
{
  PigeonComposer *self;
  Content *content;
  gint64 send_at;
} SendWait;

static void
send_content (PigeonComposer *self,
              Content        *content,
              gint64          send_at)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, send_built_cb, NULL);

  gtk_widget_set_sensitive (GTK_WIDGET (self->content_box), FALSE);
  set_subtitle (self, _("Sending…"));
  g_task_set_source_tag (task, send_content);
  g_object_set_data (G_OBJECT (task), "draft", GINT_TO_POINTER (FALSE));
  g_object_set_data (G_OBJECT (task), "send-at", GSIZE_TO_POINTER ((gsize) send_at));
  g_task_set_task_data (task, content, (GDestroyNotify) content_free);
  g_task_run_in_thread (task, build_thread);
}

static void
attachment_dialog_cb (GtkDialog *dialog,
                      int        response,
                      SendWait  *wait)
{
  gtk_widget_destroy (GTK_WIDGET (dialog));
  if (response == GTK_RESPONSE_ACCEPT)
    send_content (wait->self, wait->content, wait->send_at);
  else
    {
      wait->self->sending = FALSE;
      content_free (wait->content);
      if (response == GTK_RESPONSE_APPLY)
        g_action_group_activate_action (G_ACTION_GROUP (wait->self), "attach", NULL);
    }
  g_object_unref (wait->self);
  g_free (wait);
}

/* Sent without the file it speaks of?  Ask first. */
static void
check_then_send (PigeonComposer *self,
                 Content        *content,
                 gint64          send_at)
{
  SendWait *wait;
  GtkWidget *dialog;

  if (content->attachments->len > 0 || !pigeon_composer_body_mentions_attachment (content->text))
    {
      send_content (self, content, send_at);
      return;
    }
  wait = g_new0 (SendWait, 1);
  wait->self = g_object_ref (self);
  wait->content = content;
  wait->send_at = send_at;
  dialog = gtk_message_dialog_new (GTK_WINDOW (self),
                                   GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                                   _("Send without an attachment?"));
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog),
    _("The message mentions an attachment, but no file is attached."));
  gtk_dialog_add_buttons (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL,
                          _("_Attach Files…"), GTK_RESPONSE_APPLY,
                          _("_Send Anyway"), GTK_RESPONSE_ACCEPT, NULL);
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_APPLY);
  g_signal_connect (dialog, "response", G_CALLBACK (attachment_dialog_cb), wait);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
send_now_content_cb (PigeonComposer *self,
                     Content        *content)
{
  check_then_send (self, content, 0);
}

static void
send_later_content_cb (PigeonComposer *self,
                       Content        *content)
{
  gint64 send_at = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (self), "pigeon-send-at"));

  check_then_send (self, content, send_at);
}

static gboolean
can_send (PigeonComposer *self)
{
  if (self->sending || self->sent || self->loading)
    return FALSE;
  if (self->account == NULL)
    {
      show_error (self, _("Add an account to send mail from."));
      return FALSE;
    }
  return TRUE;
}

static void
send_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  PigeonComposer *self = user_data;

  if (!can_send (self))
    return;
  self->sending = TRUE;
  gtk_widget_hide (GTK_WIDGET (self->info_bar));
  with_content (self, send_now_content_cb);
}

static void
send_later_action (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  PigeonComposer *self = user_data;
  g_autoptr(GDateTime) when = NULL;
  guint year, month, day;

  gtk_calendar_get_date (self->later_calendar, &year, &month, &day);
  when = g_date_time_new_local ((int) year, (int) month + 1, (int) day,
                                gtk_spin_button_get_value_as_int (self->later_hour),
                                gtk_spin_button_get_value_as_int (self->later_minute), 0);
  gtk_popover_popdown (self->send_later_popover);
  if (when == NULL || g_date_time_to_unix (when) <= g_get_real_time () / G_USEC_PER_SEC + 30)
    {
      show_error (self, _("Choose a time in the future to send the message."));
      return;
    }
  if (!can_send (self))
    return;
  self->sending = TRUE;
  g_object_set_data (G_OBJECT (self), "pigeon-send-at",
                     GSIZE_TO_POINTER ((gsize) g_date_time_to_unix (when)));
  with_content (self, send_later_content_cb);
}

static void
send_later_shown_cb (GtkWidget      *popover,
                     PigeonComposer *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) soon = g_date_time_add_hours (now, 1);

  gtk_calendar_select_month (self->later_calendar, g_date_time_get_month (soon) - 1,
                             g_date_time_get_year (soon));
  gtk_calendar_select_day (self->later_calendar, g_date_time_get_day_of_month (soon));
  gtk_spin_button_set_value (self->later_hour, g_date_time_get_hour (soon));
  gtk_spin_button_set_value (self->later_minute, 0);
}

/* ------------------------------------------------------------------ rich text */

static void
rich_text_read_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(PigeonComposer) self = user_data;
  g_autofree char *html = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  if (!pigeon_composer_body_read_finish (WEBKIT_WEB_VIEW (source), result, &html, &text, &error))
    {
      show_error (self, error->message);
      return;
    }
  self->filling = TRUE;
  set_plain_text (self, text);
  self->filling = FALSE;
  gtk_stack_set_visible_child_name (self->body_stack, "plain");
  gtk_revealer_set_reveal_child (self->format_revealer, FALSE);
  gtk_widget_grab_focus (GTK_WIDGET (self->body_view));
}

static void
set_rich (PigeonComposer *self,
          gboolean        rich,
          const char     *html)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "rich-text");

  if (rich == self->rich && html == NULL)
    return;
  self->rich = rich;
  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (rich));
  if (rich)
    {
      g_autofree char *text = get_plain_text (self);
      g_autofree char *converted = html == NULL ? pigeon_composer_body_plain_to_html (text)
                                                : NULL;

      pigeon_composer_body_load_html (self->html_view, html != NULL ? html : converted);
      gtk_stack_set_visible_child_name (self->body_stack, "rich");
      gtk_revealer_set_reveal_child (self->format_revealer, TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (self->html_view));
    }
  else
    {
      /* Back to plain text: the text stays, its formatting goes. */
      pigeon_composer_body_read_async (self->html_view, self->cancellable, rich_text_read_cb,
                                       g_object_ref (self));
    }
  mark_dirty (self);
}

static void
rich_text_action (GSimpleAction *action,
                  GVariant      *state,
                  gpointer       user_data)
{
  set_rich (PIGEON_COMPOSER (user_data), g_variant_get_boolean (state), NULL);
}

static void
editing_command (PigeonComposer *self,
                 const char     *command,
                 const char     *argument)
{
  if (!self->rich)
    return;
  if (argument != NULL)
    webkit_web_view_execute_editing_command_with_argument (self->html_view, command, argument);
  else
    webkit_web_view_execute_editing_command (self->html_view, command);
  gtk_widget_grab_focus (GTK_WIDGET (self->html_view));
  mark_dirty (self);
}

static void
bold_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  editing_command (user_data, "Bold", NULL);
}

static void
italic_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  editing_command (user_data, "Italic", NULL);
}

static void
bullets_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  editing_command (user_data, "InsertUnorderedList", NULL);
}

static void
numbers_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  editing_command (user_data, "InsertOrderedList", NULL);
}

static void
quote_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  editing_command (user_data, "FormatBlock", "blockquote");
}

static void
link_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  PigeonComposer *self = user_data;
  g_autofree char *url = g_strstrip (g_strdup (gtk_entry_get_text (self->link_entry)));

  gtk_popover_popdown (self->link_popover);
  if (*url == '\0')
    return;
  /* Links go to the web or to an address, never to script. */
  if (!g_str_has_prefix (url, "http://") && !g_str_has_prefix (url, "https://") &&
      !g_str_has_prefix (url, "mailto:"))
    {
      g_autofree char *fixed = strchr (url, '@') != NULL && strchr (url, '/') == NULL
                                 ? g_strconcat ("mailto:", url, NULL)
                                 : g_strconcat ("https://", url, NULL);

      g_free (url);
      url = g_steal_pointer (&fixed);
    }
  editing_command (self, "CreateLink", url);
  gtk_entry_set_text (self->link_entry, "");
}

/* ------------------------------------------------------------------ starting from a message */

typedef struct
{
  PigeonAccount *account;
  PigeonStore *store;
  gint64 message_id;
  PigeonComposeMode mode;
  GStrv own;
} Load;

static void
load_free (Load *load)
{
  g_clear_object (&load->account);
  g_clear_object (&load->store);
  g_strfreev (load->own);
  g_free (load);
}

/* The original's bytes: from the store, or from the server when only its envelope is. */
static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Load *load = task_data;
  g_autoptr(GBytes) raw = NULL;
  GError *error = NULL;
  PigeonComposeSeed *seed;

  raw = pigeon_store_get_body (load->store, load->message_id, &error);
  if (raw == NULL && error == NULL)
    {
      g_autoptr(PigeonProvider) provider = pigeon_provider_new_for_account (load->account,
                                                                            load->store, &error);

      if (provider != NULL && pigeon_provider_connect (provider, cancellable, &error))
        {
          if (pigeon_provider_fetch_body (provider, load->message_id, cancellable, &error))
            raw = pigeon_store_get_body (load->store, load->message_id, &error);
          pigeon_provider_disconnect (provider);
        }
      if (raw == NULL && error == NULL)
        g_set_error (&error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                     _("The server did not return the message."));
    }
  if (raw == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  seed = pigeon_compose_seed_new (load->mode, raw, (const char * const *) load->own, &error);
  if (seed == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, seed, (GDestroyNotify) pigeon_compose_seed_free);
}

static void
fill_from_seed (PigeonComposer          *self,
                const PigeonComposeSeed *seed)
{
  g_autofree char *block = signature_block (self->account);
  g_autofree char *body = NULL;

  self->filling = TRUE;
  gtk_entry_set_text (self->to_entry, seed->to != NULL ? seed->to : "");
  gtk_entry_set_text (self->cc_entry, seed->cc != NULL ? seed->cc : "");
  gtk_entry_set_text (self->bcc_entry, seed->bcc != NULL ? seed->bcc : "");
  gtk_toggle_button_set_active (self->cc_toggle, seed->cc != NULL && *seed->cc != '\0');
  gtk_toggle_button_set_active (self->bcc_toggle, seed->bcc != NULL && *seed->bcc != '\0');
  gtk_entry_set_text (self->subject_entry, seed->subject != NULL ? seed->subject : "");
  g_free (self->in_reply_to);
  g_free (self->references);
  self->in_reply_to = g_strdup (seed->in_reply_to);
  self->references = g_strdup (seed->references);

  switch (self->mode)
    {
    case PIGEON_COMPOSE_EDIT:
      body = g_strdup (seed->body);
      break;
    case PIGEON_COMPOSE_REPLY:
    case PIGEON_COMPOSE_REPLY_ALL:
      /* The answer on top, the signature under it, then what it answers. */
      body = g_strdup_printf ("\n%s%s\n%s", block != NULL ? "\n" : "", block != NULL ? block : "",
                              seed->body);
      g_free (self->signature);
      self->signature = g_steal_pointer (&block);
      break;
    case PIGEON_COMPOSE_FORWARD:
    case PIGEON_COMPOSE_FORWARD_ATTACHMENT:
    case PIGEON_COMPOSE_NEW:
    default:
      body = g_strdup_printf ("%s%s%s", block != NULL ? "\n\n" : "", block != NULL ? block : "",
                              seed->body);
      g_free (self->signature);
      self->signature = g_steal_pointer (&block);
      break;
    }
  set_plain_text (self, body);
  for (guint i = 0; seed->attachments != NULL && i < seed->attachments->len; i++)
    {
      PigeonComposeAttachment *a = g_ptr_array_index (seed->attachments, i);

      add_attachment (self, a->name, a->content_type, a->data, a->is_message);
    }
  if (seed->html != NULL)
    set_rich (self, TRUE, seed->html);
  self->filling = FALSE;
  self->dirty = FALSE;

  if (gtk_entry_get_text_length (self->to_entry) == 0)
    gtk_widget_grab_focus (GTK_WIDGET (self->to_entry));
  else if (!self->rich)
    gtk_widget_grab_focus (GTK_WIDGET (self->body_view));
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  PigeonComposer *self = PIGEON_COMPOSER (source);
  g_autoptr(PigeonComposeSeed) seed = NULL;
  g_autoptr(GError) error = NULL;

  seed = g_task_propagate_pointer (G_TASK (result), &error);
  self->loading = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->content_box), TRUE);
  set_subtitle (self, NULL);
  if (seed == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *text = g_strdup_printf (_("The message could not be read: %s"),
                                                   error->message);

          show_error (self, text);
        }
      return;
    }
  if (self->mode == PIGEON_COMPOSE_EDIT && seed->from != NULL)
    {
      GListModel *accounts = G_LIST_MODEL (pigeon_application_get_manager (self->app));

      for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
        {
          g_autoptr(PigeonAccount) account = g_list_model_get_item (accounts, i);

          g_auto(GStrv) identities = pigeon_account_dup_identities (account);

          if (g_ascii_strcasecmp (pigeon_account_get_email (account), seed->from) == 0)
            {
              set_account (self, account);
              break;
            }
          /* A draft from one of the account's other identities continues from it. */
          for (guint n = 1; identities[n] != NULL; n++)
            if (identity_has_address (identities[n], seed->from))
              {
                set_account (self, account);
                self->identity = g_strdup (identities[n]);
                fill_from_combo (self);
                break;
              }
          if (self->identity != NULL)
            break;
        }
    }
  fill_from_seed (self, seed);
}

static GStrv
own_addresses (PigeonApplication *app)
{
  GListModel *accounts = G_LIST_MODEL (pigeon_application_get_manager (app));
  GStrvBuilder *builder = g_strv_builder_new ();
  GStrv out;

  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr(PigeonAccount) account = g_list_model_get_item (accounts, i);

      g_strv_builder_add (builder, pigeon_account_get_email (account));
    }
  out = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return out;
}

/* ------------------------------------------------------------------ GObject */

static const GActionEntry actions[] = {
  { "send", send_action },
  { "send-later", send_later_action },
  { "attach", attach_action },
  { "rich-text", NULL, NULL, "false", rich_text_action },
  { "save-draft", save_draft_action },
  { "discard", discard_action },
  { "bold", bold_action },
  { "italic", italic_action },
  { "bullets", bullets_action },
  { "numbers", numbers_action },
  { "link", link_action },
  { "quote", quote_action },
};

/* Destroyed without being closed (the application quits): what changed since the last
 * save is written now, while it waits.  Rich text reads back asynchronously, so there the
 * last automatic save (a few seconds old at most) is what remains. */
static void
save_before_going (PigeonComposer *self)
{
  PigeonStore *store = store_of (self, self->account);
  g_autoptr(GError) error = NULL;
  Content *content;
  Built *built;
  gint64 id;

  if (!self->dirty || self->sent || self->saving || self->rich || self->loading ||
      self->account == NULL || store == NULL)
    return;
  self->dirty = FALSE;
  content = content_snapshot (self);
  if (content_is_empty (content) && self->draft_id == 0)
    {
      content_free (content);
      return;
    }
  built = build_message (content, TRUE, &error);
  content_free (content);
  if (built == NULL)
    return;
  id = pigeon_store_save_draft (store, built->raw, store == self->draft_store ? self->draft_id : 0,
                                keeps_folders_locally (self->account), &error);
  built_free (built);
  if (id == 0)
    g_warning ("The draft could not be saved: %s", error->message);
}

static void
pigeon_composer_dispose (GObject *object)
{
  PigeonComposer *self = (PigeonComposer *) object;

  if (self->app != NULL)
    save_before_going (self);
  g_clear_handle_id (&self->autosave_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (pigeon_composer_parent_class)->dispose (object);
}

static void
pigeon_composer_finalize (GObject *object)
{
  PigeonComposer *self = (PigeonComposer *) object;

  g_clear_object (&self->app);
  g_clear_object (&self->account);
  g_clear_pointer (&self->identity, g_free);
  g_clear_object (&self->original_account);
  g_clear_object (&self->draft_store);
  g_free (self->signature);
  g_free (self->in_reply_to);
  g_free (self->references);

  G_OBJECT_CLASS (pigeon_composer_parent_class)->finalize (object);
}

static void
pigeon_composer_class_init (PigeonComposerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pigeon_composer_dispose;
  object_class->finalize = pigeon_composer_finalize;
  widget_class->delete_event = pigeon_composer_delete_event;

  g_type_ensure (WEBKIT_TYPE_WEB_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pigeonmail/Pigeon/pigeon-composer.ui");
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, header_bar);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, content_box);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, info_bar);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, info_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, from_combo);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, to_entry);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, cc_entry);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, bcc_entry);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, subject_entry);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, cc_toggle);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, bcc_toggle);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, format_revealer);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, body_stack);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, body_view);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, html_view);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, attachments_revealer);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, attachments_box);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, later_calendar);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, later_hour);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, later_minute);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, send_later_popover);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, link_popover);
  gtk_widget_class_bind_template_child (widget_class, PigeonComposer, link_entry);
  gtk_widget_class_bind_template_callback (widget_class, info_bar_response_cb);
  gtk_widget_class_bind_template_callback (widget_class, from_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, subject_changed_cb);
}

static void
pigeon_composer_init (PigeonComposer *self)
{
  static const GtkTargetEntry uri_targets[] = { { (char *) "text/uri-list", 0, 0 } };

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self), actions, G_N_ELEMENTS (actions), self);

  g_signal_connect (gtk_text_view_get_buffer (self->body_view), "changed",
                    G_CALLBACK (buffer_changed_cb), self);
  pigeon_composer_body_setup (self->html_view, G_CALLBACK (html_changed_cb), self);
  g_signal_connect (self->send_later_popover, "show", G_CALLBACK (send_later_shown_cb), self);

  /* Files dropped anywhere on the window are attached. */
  gtk_drag_dest_set (GTK_WIDGET (self->content_box), GTK_DEST_DEFAULT_ALL, uri_targets,
                     G_N_ELEMENTS (uri_targets), GDK_ACTION_COPY);
  g_signal_connect (self->content_box, "drag-data-received", G_CALLBACK (drag_data_received_cb),
                    self);
  gtk_drag_dest_add_uri_targets (GTK_WIDGET (self->body_view));
  g_signal_connect (self->body_view, "drag-data-received", G_CALLBACK (drag_data_received_cb),
                    self);

  self->autosave_id = g_timeout_add_seconds (AUTOSAVE_SECONDS, autosave_cb, self);
}

static PigeonComposer *
composer_new (PigeonApplication *app,
              PigeonAccount     *account)
{
  PigeonComposer *self;

  g_return_val_if_fail (PIGEON_IS_APPLICATION (app), NULL);

  self = g_object_new (PIGEON_TYPE_COMPOSER, "application", app, NULL);
  self->app = g_object_ref (app);
  set_account (self, account);
  pigeon_composer_address_attach (self->to_entry, app);
  pigeon_composer_address_attach (self->cc_entry, app);
  pigeon_composer_address_attach (self->bcc_entry, app);
  return self;
}

PigeonComposer *
pigeon_composer_new (PigeonApplication *app,
                     PigeonAccount     *account)
{
  PigeonComposer *self = composer_new (app, account);
  g_autoptr(PigeonComposeSeed) seed = pigeon_compose_seed_new (PIGEON_COMPOSE_NEW, NULL, NULL,
                                                               NULL);

  self->mode = PIGEON_COMPOSE_NEW;
  fill_from_seed (self, seed);
  return self;
}

static void
start_loading (PigeonComposer *self,
               PigeonStore    *store)
{
  g_autoptr(GTask) task = NULL;
  Load *load;

  if (self->mode == PIGEON_COMPOSE_EDIT)
    g_set_object (&self->draft_store, store);
  load = g_new0 (Load, 1);
  load->account = g_object_ref (self->original_account);
  load->store = g_object_ref (store);
  load->message_id = self->original_id;
  load->mode = self->mode;
  load->own = own_addresses (self->app);
  task = g_task_new (self, self->cancellable, loaded_cb, NULL);
  g_task_set_source_tag (task, start_loading);
  g_task_set_task_data (task, load, (GDestroyNotify) load_free);
  g_task_run_in_thread (task, load_thread);
}

/* The account's store was still opening when the window was asked for. */
static void
session_store_cb (PigeonSession  *session,
                  GParamSpec     *pspec,
                  PigeonComposer *self)
{
  const GError *error = pigeon_session_get_store_error (session);

  if (pigeon_session_get_store (session) == NULL && error == NULL)
    return;
  g_signal_handlers_disconnect_by_func (session, session_store_cb, self);
  if (pigeon_session_get_store (session) != NULL)
    {
      start_loading (self, pigeon_session_get_store (session));
      return;
    }
  self->loading = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->content_box), TRUE);
  show_error (self, error->message);
}

PigeonComposer *
pigeon_composer_new_for_message (PigeonApplication *app,
                                 PigeonAccount     *account,
                                 PigeonComposeMode  mode,
                                 gint64             message_id)
{
  PigeonComposer *self;
  PigeonSession *session;

  g_return_val_if_fail (PIGEON_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (mode != PIGEON_COMPOSE_NEW, NULL);

  self = composer_new (app, account);
  self->mode = mode;
  self->original_account = g_object_ref (account);
  self->original_id = message_id;
  if (mode == PIGEON_COMPOSE_EDIT)
    self->draft_id = message_id;

  self->loading = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->content_box), FALSE);
  set_subtitle (self, _("Loading the message…"));
  session = pigeon_application_get_session (app, account);
  if (session == NULL)
    {
      self->loading = FALSE;
      show_error (self, _("The account is gone."));
      return self;
    }
  g_signal_connect_object (session, "notify::store", G_CALLBACK (session_store_cb), self, 0);
  g_signal_connect_object (session, "notify::store-error", G_CALLBACK (session_store_cb), self,
                           0);
  session_store_cb (session, NULL, self);
  return self;
}

PigeonComposer *
pigeon_composer_new_from_outbox (PigeonApplication       *app,
                                 PigeonAccount           *account,
                                 const PigeonOutboxEntry *entry)
{
  PigeonComposer *self;
  g_autoptr(PigeonComposeSeed) seed = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (entry != NULL && entry->raw != NULL, NULL);

  self = composer_new (app, account);
  self->mode = PIGEON_COMPOSE_EDIT;
  seed = pigeon_compose_seed_new (PIGEON_COMPOSE_EDIT, entry->raw, NULL, &error);
  if (seed == NULL)
    {
      show_error (self, error->message);
      return self;
    }
  /* Messages queued by older versions have no Bcc field: their Bcc recipients are the
   * envelope's others. */
  if (seed->bcc == NULL || *seed->bcc == '\0')
    {
      g_autoptr(GString) bcc = g_string_new (NULL);
      g_autofree char *seen = g_strdup_printf ("%s, %s", seed->to, seed->cc);
      g_autofree char *folded = g_utf8_casefold (seen, -1);

      for (guint i = 0; entry->recipients != NULL && entry->recipients[i] != NULL; i++)
        {
          g_autofree char *address = g_utf8_casefold (entry->recipients[i], -1);

          if (*address == '\0' || strstr (folded, address) != NULL)
            continue;
          g_string_append_printf (bcc, "%s%s", bcc->len > 0 ? ", " : "", entry->recipients[i]);
        }
      g_free (seed->bcc);
      seed->bcc = g_string_free (g_steal_pointer (&bcc), FALSE);
    }
  fill_from_seed (self, seed);
  self->dirty = TRUE;   /* it exists nowhere else now: keep it as a draft */
  return self;
}
