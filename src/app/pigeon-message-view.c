/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "pigeon-message-render.h"
#include "pigeon-message-view.h"
#include "pigeon-settings.h"
#include "pigeon-source-window.h"
#include "pigeon-web-view.h"

#define ZOOM_STEP 0.1

struct _PigeonMessageView
{
  GtkBin parent_instance;

  GtkStack *stack;
  GtkImage *status_image;
  GtkLabel *status_title;
  GtkLabel *status_detail;
  GtkLabel *subject_label;
  GtkLabel *date_label;
  GtkLabel *from_label;
  GtkLabel *to_caption;
  GtkLabel *to_label;
  GtkLabel *cc_caption;
  GtkLabel *bcc_label;
  GtkLabel *bcc_caption;
  GtkLabel *cc_label;
  GtkInfoBar *remote_bar;
  GtkOverlay *web_overlay;
  GtkLabel *link_label;
  GtkLabel *body_status;
  GtkRevealer *attachments_revealer;
  GtkFlowBox *attachments_box;
  PigeonWebView *web_view;

  PigeonSession *session;
  PigeonStore *store;         /* the store we listen to */
  gint64 message_id;
  PigeonMessage *message;     /* the envelope */
  GCancellable *cancellable;
  GBytes *raw;
  PigeonRenderedMessage *rendered;
  gboolean waiting_for_body;
  gboolean body_requested;
  guint render_serial;        /* changes whenever RENDERED does */
  GPtrArray *attachment_buttons;  /* borrowed, by attachment index */
  GHashTable *downloads;      /* attachment index -> Download* (borrowed) */
  guint mark_read_source;
  double zoom;
};

G_DEFINE_FINAL_TYPE (PigeonMessageView, pigeon_message_view, GTK_TYPE_BIN)

static void start_render (PigeonMessageView *self);
static void hovering_link_cb (PigeonWebView     *web_view,
                              const char        *uri,
                              PigeonMessageView *self);

/* ------------------------------------------------------------------ state */

/* Whatever made the theme dark (the desktop's color-scheme, GTK_THEME, a dark theme): its
 * text is light. */
static gboolean
prefers_dark (PigeonMessageView *self)
{
  GtkStyleContext *context = gtk_widget_get_style_context (GTK_WIDGET (self));
  GdkRGBA color;

  gtk_style_context_get_color (context, gtk_style_context_get_state (context), &color);
  return 0.2126 * color.red + 0.7152 * color.green + 0.0722 * color.blue > 0.5;
}

static void
clear_attachments (PigeonMessageView *self)
{
  g_autoptr(GList) children = gtk_container_get_children (GTK_CONTAINER (self->attachments_box));

  for (GList *l = children; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);
  g_ptr_array_set_size (self->attachment_buttons, 0);
  gtk_revealer_set_reveal_child (self->attachments_revealer, FALSE);
}

static void
stop_listening (PigeonMessageView *self)
{
  if (self->store != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->store, self);
      g_clear_object (&self->store);
    }
}

/* The web view (and with it WebKit's processes) comes with the first message shown. */
static PigeonWebView *
ensure_web_view (PigeonMessageView *self)
{
  if (self->web_view != NULL)
    return self->web_view;
  /* Not in the template: the view must be made on Pigeon's locked-down web context. */
  self->web_view = PIGEON_WEB_VIEW (pigeon_web_view_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->web_view), TRUE);
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->web_view)),
                       _("Message body"));
  gtk_container_add (GTK_CONTAINER (self->web_overlay), GTK_WIDGET (self->web_view));
  gtk_widget_show (GTK_WIDGET (self->web_view));
  g_signal_connect (self->web_view, "hovering-link", G_CALLBACK (hovering_link_cb), self);
  pigeon_web_view_set_text_zoom (self->web_view, self->zoom);
  return self->web_view;
}

static void
reset (PigeonMessageView *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->mark_read_source, g_source_remove);
  stop_listening (self);
  g_clear_object (&self->session);
  g_clear_pointer (&self->message, pigeon_message_free);
  g_clear_pointer (&self->raw, g_bytes_unref);
  g_clear_pointer (&self->rendered, pigeon_rendered_message_free);
  self->render_serial++;
  g_hash_table_remove_all (self->downloads);
  self->message_id = 0;
  self->waiting_for_body = FALSE;
  self->body_requested = FALSE;
  clear_attachments (self);
  gtk_widget_hide (GTK_WIDGET (self->remote_bar));
  gtk_widget_hide (GTK_WIDGET (self->body_status));
  gtk_widget_hide (GTK_WIDGET (self->link_label));
}

void
pigeon_message_view_show_status (PigeonMessageView *self,
                                 const char        *icon_name,
                                 const char        *title,
                                 const char        *detail)
{
  g_return_if_fail (PIGEON_IS_MESSAGE_VIEW (self));

  reset (self);
  if (self->web_view != NULL)
    pigeon_web_view_clear (self->web_view);
  gtk_image_set_from_icon_name (self->status_image, icon_name, GTK_ICON_SIZE_DIALOG);
  gtk_image_set_pixel_size (self->status_image, 96);
  gtk_label_set_text (self->status_title, title);
  gtk_label_set_text (self->status_detail, detail ? detail : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_detail), detail != NULL);
  gtk_stack_set_visible_child_name (self->stack, "status");
}

static void
show_body_status (PigeonMessageView *self,
                  const char        *text)
{
  gtk_label_set_text (self->body_status, text);
  gtk_widget_set_visible (GTK_WIDGET (self->body_status), text != NULL);
}

/* ------------------------------------------------------------------ the header */

static void
set_address_label (GtkLabel   *caption,
                   GtkLabel   *label,
                   const char *value)
{
  gboolean shown = value != NULL && *value != '\0';

  gtk_label_set_text (label, shown ? value : "");
  gtk_widget_set_visible (GTK_WIDGET (label), shown);
  if (caption != NULL)
    gtk_widget_set_visible (GTK_WIDGET (caption), shown);
}

static void
fill_header (PigeonMessageView   *self,
             const PigeonMessage *message)
{
  g_autofree char *date = NULL;

  gtk_label_set_text (self->subject_label,
                      message->subject && *message->subject ? message->subject
                                                            : _("(No subject)"));
  set_address_label (NULL, self->from_label,
                     message->from ? message->from : _("(Unknown sender)"));
  set_address_label (self->to_caption, self->to_label, message->to);
  set_address_label (self->cc_caption, self->cc_label, message->cc);
  /* Only a message one sent has Bcc (the copy in Sent): shown once its body is read. */
  set_address_label (self->bcc_caption, self->bcc_label, NULL);
  if (message->date > 0)
    {
      g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (message->date);
      g_autoptr(GDateTime) local = utc ? g_date_time_to_local (utc) : NULL;

      /* Translators: the date in the message header; see g_date_time_format. */
      date = local ? g_date_time_format (local, _("%A, %-e %B %Y, %H:%M")) : NULL;
    }
  gtk_label_set_text (self->date_label, date ? date : "");
}

/* ------------------------------------------------------------------ marking read */

static void
mark_read_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!pigeon_store_change_finish (PIGEON_STORE (source), result, &error))
    g_warning ("Could not mark the message as read: %s", error->message);
}

static gboolean
mark_read_cb (gpointer user_data)
{
  PigeonMessageView *self = user_data;

  self->mark_read_source = 0;
  if (self->store != NULL && self->message != NULL &&
      (self->message->flags & PIGEON_MESSAGE_FLAG_SEEN) == 0)
    {
      self->message->flags |= PIGEON_MESSAGE_FLAG_SEEN;
      pigeon_store_change_flags_async (self->store, &self->message_id, 1,
                                       PIGEON_MESSAGE_FLAG_SEEN, 0, NULL,
                                       mark_read_done_cb, NULL);
    }
  return G_SOURCE_REMOVE;
}

static void
schedule_mark_read (PigeonMessageView *self)
{
  int delay = pigeon_settings_get_int ("mark-read-delay", 1);

  g_clear_handle_id (&self->mark_read_source, g_source_remove);
  if (self->message == NULL || (self->message->flags & PIGEON_MESSAGE_FLAG_SEEN) != 0 ||
      delay < 0)
    return;
  if (delay == 0)
    {
      mark_read_cb (self);
      return;
    }
  self->mark_read_source = g_timeout_add_seconds (delay, mark_read_cb, self);
  g_source_set_name_by_id (self->mark_read_source, "[pigeon] mark read");
}

/* ------------------------------------------------------------------ attachments */

static PigeonAttachment *
attachment_at (PigeonMessageView *self,
               GVariant          *parameter)
{
  int index = g_variant_get_int32 (parameter);

  if (self->rendered == NULL || index < 0 || (guint) index >= self->rendered->attachments->len)
    return NULL;
  return g_ptr_array_index (self->rendered->attachments, index);
}

static void
show_error (PigeonMessageView *self,
            const char        *primary,
            const char        *secondary)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  GtkWidget *dialog = gtk_message_dialog_new (GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel)
                                                                       : NULL,
                                              GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                              GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE,
                                              "%s", primary);

  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s", secondary);
  g_signal_connect (dialog, "response", G_CALLBACK (gtk_widget_destroy), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

typedef struct
{
  PigeonMessageView *view;
  GFile *file;
  gboolean open;
} WriteData;

static void
write_data_free (WriteData *data)
{
  g_clear_object (&data->view);
  g_clear_object (&data->file);
  g_free (data);
}

static void
attachment_written_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  WriteData *data = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    {
      show_error (data->view, _("The attachment could not be saved"), error->message);
    }
  else if (data->open)
    {
      g_autofree char *uri = g_file_get_uri (data->file);
      GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (data->view));

      if (!gtk_show_uri_on_window (GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                   uri, GDK_CURRENT_TIME, &error))
        show_error (data->view, _("The attachment could not be opened"), error->message);
    }
  write_data_free (data);
}

static void
write_bytes (PigeonMessageView *self,
             GBytes            *bytes,
             GFile             *file,
             gboolean           open)
{
  WriteData *data = g_new0 (WriteData, 1);

  data->view = g_object_ref (self);
  data->file = g_object_ref (file);
  data->open = open;
  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE,
                                       open ? G_FILE_CREATE_PRIVATE
                                            : G_FILE_CREATE_REPLACE_DESTINATION,
                                       NULL, attachment_written_cb, data);
}

/* ------------------------------------------------------------------ attachments on the server */

/* One download of an attachment still on the server, and where its bytes go. */
typedef struct
{
  PigeonMessageView *view;
  int index;
  guint serial;               /* the view's render_serial when it started */
  GPtrArray *targets;         /* WriteData* (view unset) */
} Download;

static void
download_free (Download *download)
{
  g_clear_object (&download->view);
  g_ptr_array_unref (download->targets);
  g_free (download);
}

static void
set_attachment_busy (PigeonMessageView *self,
                     int                index,
                     gboolean           busy)
{
  GtkWidget *button = (guint) index < self->attachment_buttons->len
                        ? g_ptr_array_index (self->attachment_buttons, index) : NULL;
  GtkWidget *spinner, *size_label;
  PigeonAttachment *attachment;

  if (button == NULL)
    return;
  attachment = g_ptr_array_index (self->rendered->attachments, index);
  spinner = g_object_get_data (G_OBJECT (button), "pigeon-spinner");
  size_label = g_object_get_data (G_OBJECT (button), "pigeon-size");
  gtk_widget_set_visible (spinner, busy);
  g_object_set (spinner, "active", busy, NULL);
  if (busy)
    gtk_label_set_text (GTK_LABEL (size_label), _("Downloading…"));
  else
    {
      g_autofree char *size = g_format_size (attachment->size);

      gtk_label_set_text (GTK_LABEL (size_label), size);
    }
  if (!busy && attachment->reference == NULL)
    gtk_widget_set_tooltip_text (button, attachment->filename);
}

typedef struct
{
  PigeonStore *store;
  gint64 message_id;
  guint serial;
} RawData;

static void
raw_data_free (RawData *data)
{
  g_clear_object (&data->store);
  g_free (data);
}

/* From now on the attachment is here: later Saves and Opens use these bytes. */
static void
keep_downloaded (PigeonAttachment *attachment,
                 GBytes           *bytes)
{
  GMimeContentType *type = g_mime_content_type_parse (NULL, attachment->content_type);
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer (
    g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_autoptr(GMimeDataWrapper) wrapper =
    g_mime_data_wrapper_new_with_stream (stream, GMIME_CONTENT_ENCODING_DEFAULT);
  GMimePart *part = g_mime_part_new_with_type (g_mime_content_type_get_media_type (type),
                                               g_mime_content_type_get_media_subtype (type));

  g_object_unref (type);
  g_mime_part_set_content (part, wrapper);
  g_clear_object (&attachment->part);
  attachment->part = GMIME_OBJECT (part);
  attachment->size = g_bytes_get_size (bytes);
  g_clear_pointer (&attachment->reference, g_free);
}

static void
raw_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  RawData *data = task_data;
  GError *error = NULL;
  GBytes *raw = pigeon_store_get_body (data->store, data->message_id, &error);

  if (raw != NULL)
    g_task_return_pointer (task, raw, (GDestroyNotify) g_bytes_unref);
  else if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, NULL, NULL);
}

static void
raw_read_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  PigeonMessageView *self = PIGEON_MESSAGE_VIEW (source);
  RawData *data = g_task_get_task_data (G_TASK (result));
  GBytes *raw = g_task_propagate_pointer (G_TASK (result), NULL);

  if (raw == NULL)
    return;
  if (data->serial != self->render_serial)
    {
      g_bytes_unref (raw);
      return;
    }
  g_clear_pointer (&self->raw, g_bytes_unref);
  self->raw = raw;
}

/* The stored message changed under the view (an attachment now in it): View Source shows
 * the new bytes. */
static void
refresh_raw (PigeonMessageView *self)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, raw_read_cb, NULL);
  RawData *data = g_new0 (RawData, 1);

  data->store = g_object_ref (self->store);
  data->message_id = self->message_id;
  data->serial = self->render_serial;
  g_task_set_source_tag (task, refresh_raw);
  g_task_set_task_data (task, data, (GDestroyNotify) raw_data_free);
  g_task_run_in_thread (task, raw_thread);
}

static void
attachment_downloaded_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  Download *download = user_data;
  PigeonMessageView *self = download->view;
  gboolean current = download->serial == self->render_serial && self->rendered != NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = pigeon_session_fetch_attachment_finish (PIGEON_SESSION (source),
                                                                    result, &error);

  if (current)
    {
      g_hash_table_remove (self->downloads, GINT_TO_POINTER (download->index));
      if (bytes != NULL)
        {
          keep_downloaded (g_ptr_array_index (self->rendered->attachments, download->index),
                           bytes);
          refresh_raw (self);
        }
      set_attachment_busy (self, download->index, FALSE);
    }
  if (bytes == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, _("The attachment could not be downloaded"), error->message);
    }
  else
    {
      for (guint i = 0; i < download->targets->len; i++)
        {
          WriteData *target = g_ptr_array_index (download->targets, i);

          write_bytes (self, bytes, target->file, target->open);
        }
    }
  download_free (download);
}

/* Writes the attachment into FILE (and opens it there), downloading it first when it is
 * still on the server; a download already running for it takes this file too. */
static void
write_attachment (PigeonMessageView *self,
                  int                index,
                  GFile             *file,
                  gboolean           open)
{
  PigeonAttachment *attachment = g_ptr_array_index (self->rendered->attachments, index);
  Download *download;
  WriteData *target;

  if (attachment->reference == NULL)
    {
      g_autoptr(GBytes) bytes = pigeon_render_part_bytes (attachment->part);

      write_bytes (self, bytes, file, open);
      return;
    }
  target = g_new0 (WriteData, 1);
  target->file = g_object_ref (file);
  target->open = open;
  download = g_hash_table_lookup (self->downloads, GINT_TO_POINTER (index));
  if (download != NULL)
    {
      g_ptr_array_add (download->targets, target);
      return;
    }
  download = g_new0 (Download, 1);
  download->view = g_object_ref (self);
  download->index = index;
  download->serial = self->render_serial;
  download->targets = g_ptr_array_new_with_free_func ((GDestroyNotify) write_data_free);
  g_ptr_array_add (download->targets, target);
  g_hash_table_insert (self->downloads, GINT_TO_POINTER (index), download);
  set_attachment_busy (self, index, TRUE);
  /* Not cancelled when another message is shown: the user asked for this file. */
  pigeon_session_fetch_attachment_async (self->session, self->message_id, attachment->reference,
                                         NULL, attachment_downloaded_cb, download);
}

/* Attachments opened in other programs are copied under the cache; copies older than a
 * day are removed (the program that opened one has read it by then). */
#define ATTACHMENT_COPY_MAX_AGE (24 * 60 * 60)

static void
remove_old_copies_thread (GTask        *task,
                          gpointer      source_object,
                          gpointer      task_data,
                          GCancellable *cancellable)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "pigeon", "attachments",
                                           NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *sub = g_build_filename (dir, name, NULL);
      g_autoptr(GDir) files = NULL;
      GStatBuf st;
      const char *file;

      if (g_lstat (sub, &st) != 0 || !S_ISDIR (st.st_mode) ||
          now - st.st_mtime < ATTACHMENT_COPY_MAX_AGE)
        continue;
      files = g_dir_open (sub, 0, NULL);
      while (files != NULL && (file = g_dir_read_name (files)) != NULL)
        {
          g_autofree char *path = g_build_filename (sub, file, NULL);

          g_unlink (path);
        }
      g_rmdir (sub);
    }
  g_task_return_boolean (task, TRUE);
}

static void
remove_old_copies (void)
{
  static gsize done;

  if (g_once_init_enter (&done))
    {
      g_autoptr(GTask) task = g_task_new (NULL, NULL, NULL, NULL);

      g_task_set_source_tag (task, remove_old_copies);
      g_task_run_in_thread (task, remove_old_copies_thread);
      g_once_init_leave (&done, 1);
    }
}

static void
open_attachment_action (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  PigeonMessageView *self = user_data;
  PigeonAttachment *attachment = attachment_at (self, parameter);
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  if (attachment == NULL)
    return;
  remove_old_copies ();
  /* A private directory of its own, so the name can stay what the sender chose. */
  dir = g_build_filename (g_get_user_cache_dir (), "pigeon", "attachments", NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      show_error (self, _("The attachment could not be opened"), g_strerror (errno));
      return;
    }
  g_free (dir);
  dir = g_build_filename (g_get_user_cache_dir (), "pigeon", "attachments", "XXXXXX", NULL);
  if (g_mkdtemp_full (dir, 0700) == NULL)
    {
      show_error (self, _("The attachment could not be opened"), g_strerror (errno));
      return;
    }
  path = g_build_filename (dir, attachment->filename, NULL);
  file = g_file_new_for_path (path);
  write_attachment (self, g_variant_get_int32 (parameter), file, TRUE);
}

static void
save_dialog_response_cb (GtkNativeDialog *dialog,
                         int              response,
                         gpointer         user_data)
{
  PigeonMessageView *self = user_data;
  int index = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "pigeon-attachment"));
  g_autoptr(GVariant) parameter = g_variant_ref_sink (g_variant_new_int32 (index));
  PigeonAttachment *attachment = attachment_at (self, parameter);

  if (response == GTK_RESPONSE_ACCEPT && attachment != NULL)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      if (file != NULL)
        write_attachment (self, index, file, FALSE);
    }
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
save_attachment_action (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  PigeonMessageView *self = user_data;
  PigeonAttachment *attachment = attachment_at (self, parameter);
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  GtkFileChooserNative *dialog;

  if (attachment == NULL)
    return;
  dialog = gtk_file_chooser_native_new (_("Save Attachment"),
                                        GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_do_overwrite_confirmation (GTK_FILE_CHOOSER (dialog), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), attachment->filename);
  g_object_set_data (G_OBJECT (dialog), "pigeon-attachment",
                     GINT_TO_POINTER (g_variant_get_int32 (parameter)));
  g_signal_connect (dialog, "response", G_CALLBACK (save_dialog_response_cb),
                    g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static const GActionEntry attachment_actions[] = {
  { "open", open_attachment_action, "i" },
  { "save", save_attachment_action, "i" },
};

static GtkWidget *
attachment_button (PigeonAttachment *attachment,
                   int               index)
{
  g_autofree char *content_type = g_content_type_from_mime_type (attachment->content_type);
  g_autoptr(GIcon) icon =
    g_content_type_get_symbolic_icon (content_type ? content_type : "application/octet-stream");
  g_autofree char *size = g_format_size (attachment->size);
  g_autofree char *accessible = NULL;
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenuItem) open = g_menu_item_new (_("_Open"), NULL);
  g_autoptr(GMenuItem) save = g_menu_item_new (_("_Save As…"), NULL);
  GtkWidget *button = gtk_menu_button_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *name = gtk_label_new (attachment->filename);
  GtkWidget *size_label = gtk_label_new (size);
  GtkWidget *spinner = gtk_spinner_new ();

  g_menu_item_set_action_and_target_value (open, "attachment.open", g_variant_new_int32 (index));
  g_menu_item_set_action_and_target_value (save, "attachment.save", g_variant_new_int32 (index));
  g_menu_append_item (menu, open);
  g_menu_append_item (menu, save);
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (button), G_MENU_MODEL (menu));

  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (GTK_LABEL (name), 32);
  gtk_style_context_add_class (gtk_widget_get_style_context (size_label), "dim-label");
  gtk_container_add (GTK_CONTAINER (box), gtk_image_new_from_gicon (icon, GTK_ICON_SIZE_BUTTON));
  gtk_container_add (GTK_CONTAINER (box), name);
  gtk_container_add (GTK_CONTAINER (box), size_label);
  gtk_container_add (GTK_CONTAINER (box), spinner);
  gtk_container_add (GTK_CONTAINER (button), box);
  g_object_set_data (G_OBJECT (button), "pigeon-spinner", spinner);
  g_object_set_data (G_OBJECT (button), "pigeon-size", size_label);
  if (attachment->reference != NULL)
    {
      /* Translators: the tooltip of an attachment not downloaded yet; %s is its name. */
      g_autofree char *tip = g_strdup_printf (_("%s — on the server until you open or save it"),
                                              attachment->filename);

      gtk_widget_set_tooltip_text (button, tip);
    }
  else
    gtk_widget_set_tooltip_text (button, attachment->filename);
  /* Translators: the accessible name of an attachment's button: its file name and size. */
  accessible = g_strdup_printf (_("Attachment %s, %s"), attachment->filename, size);
  atk_object_set_name (gtk_widget_get_accessible (button), accessible);
  gtk_widget_show_all (button);
  gtk_widget_hide (spinner);
  return button;
}

static void
fill_attachments (PigeonMessageView *self)
{
  clear_attachments (self);
  for (guint i = 0; i < self->rendered->attachments->len; i++)
    {
      GtkWidget *button = attachment_button (g_ptr_array_index (self->rendered->attachments, i),
                                             i);

      g_ptr_array_add (self->attachment_buttons, button);
      gtk_container_add (GTK_CONTAINER (self->attachments_box), button);
    }
  gtk_revealer_set_reveal_child (self->attachments_revealer,
                                 self->rendered->attachments->len > 0);
}

/* ------------------------------------------------------------------ the body */

typedef struct
{
  PigeonStore *store;
  gint64 message_id;
  gboolean prefer_plain;
  gboolean dark;
  /* results */
  GBytes *raw;
  PigeonRenderedMessage *rendered;
  char *bcc;
} RenderData;

static void
render_data_free (RenderData *data)
{
  g_clear_object (&data->store);
  g_clear_pointer (&data->raw, g_bytes_unref);
  g_clear_pointer (&data->rendered, pigeon_rendered_message_free);
  g_free (data->bcc);
  g_free (data);
}

static void
render_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  RenderData *data = task_data;
  g_autoptr(GMimeMessage) message = NULL;
  GError *error = NULL;

  data->raw = pigeon_store_get_body (data->store, data->message_id, &error);
  if (data->raw == NULL)
    {
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_boolean (task, FALSE);   /* not downloaded yet */
      return;
    }
  message = pigeon_mime_parse (data->raw, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  data->rendered = pigeon_render_message (message, data->prefer_plain, data->dark);
  data->bcc = pigeon_mime_format_addresses (g_mime_message_get_addresses (message,
                                                                         GMIME_ADDRESS_TYPE_BCC));
  g_task_return_boolean (task, TRUE);
}

static gboolean
sender_allowed (PigeonMessageView *self)
{
  g_autofree char *address = pigeon_render_address_of (self->message ? self->message->from
                                                                     : NULL);

  return address != NULL && pigeon_settings_list_contains ("remote-content-senders", address);
}

static void
load_rendered (PigeonMessageView *self,
               gboolean           allow_remote)
{
  pigeon_web_view_load_message (ensure_web_view (self), self->rendered->html,
                                self->rendered->cid_parts, allow_remote,
                                !self->rendered->plain);
  gtk_widget_set_visible (GTK_WIDGET (self->remote_bar),
                          self->rendered->has_remote && !allow_remote);
}

static void fetch_body (PigeonMessageView *self);

static void
render_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  PigeonMessageView *self = PIGEON_MESSAGE_VIEW (source);
  RenderData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  gboolean have;

  have = g_task_propagate_boolean (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      data->message_id != self->message_id)
    return;
  if (error != NULL || !have)
    {
      if (self->web_view != NULL)
        pigeon_web_view_clear (self->web_view);
      if (error != NULL)
        show_body_status (self, error->message);
      else
        fetch_body (self);
      return;
    }

  self->waiting_for_body = FALSE;
  show_body_status (self, NULL);
  g_clear_pointer (&self->raw, g_bytes_unref);
  g_clear_pointer (&self->rendered, pigeon_rendered_message_free);
  self->raw = g_steal_pointer (&data->raw);
  self->rendered = g_steal_pointer (&data->rendered);
  set_address_label (self->bcc_caption, self->bcc_label, data->bcc);
  self->render_serial++;
  g_hash_table_remove_all (self->downloads);
  load_rendered (self, sender_allowed (self));
  fill_attachments (self);
  schedule_mark_read (self);
}

static void
start_render (PigeonMessageView *self)
{
  g_autoptr(GTask) task = NULL;
  RenderData *data = g_new0 (RenderData, 1);

  data->store = g_object_ref (self->store);
  data->message_id = self->message_id;
  data->prefer_plain = pigeon_settings_get_boolean ("prefer-plain-text", FALSE);
  data->dark = prefers_dark (self);
  task = g_task_new (self, self->cancellable, render_done_cb, NULL);
  g_task_set_source_tag (task, start_render);
  g_task_set_task_data (task, data, (GDestroyNotify) render_data_free);
  g_task_run_in_thread (task, render_thread);
}

static void
body_fetched_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(PigeonMessageView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!pigeon_session_fetch_body_finish (PIGEON_SESSION (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      if (self->waiting_for_body)
        show_body_status (self, error->message);
      return;
    }
  if (self->waiting_for_body)
    start_render (self);
}

static void
fetch_body (PigeonMessageView *self)
{
  self->waiting_for_body = TRUE;
  show_body_status (self, _("Downloading this message…"));
  if (self->body_requested)
    return;
  self->body_requested = TRUE;
  pigeon_session_fetch_body_async (self->session, self->message_id, self->cancellable,
                                   body_fetched_cb, g_object_ref (self));
}

static gboolean
array_contains (GArray *ids,
                gint64  id)
{
  for (guint i = 0; ids != NULL && i < ids->len; i++)
    if (g_array_index (ids, gint64, i) == id)
      return TRUE;
  return FALSE;
}

static void
messages_changed_cb (PigeonStore       *store,
                     PigeonStoreChange *change,
                     PigeonMessageView *self)
{
  g_autoptr(PigeonMessage) message = NULL;

  if (array_contains (change->removed, self->message_id))
    {
      /* Moved or deleted elsewhere: the row id is gone with it. */
      pigeon_message_view_show_status (self, "io.github.pigeonmail.Pigeon-symbolic",
                                       _("This message is no longer in this folder"), NULL);
      return;
    }
  if (!array_contains (change->updated, self->message_id))
    return;
  message = pigeon_store_get_message (store, self->message_id, NULL);
  if (message == NULL)
    return;
  /* Flags changed (read elsewhere, starred): no reload of the body. */
  if (self->message != NULL)
    self->message->flags = message->flags;
  if (self->waiting_for_body && message->has_body)
    start_render (self);
}

/* ------------------------------------------------------------------ showing a message */

void
pigeon_message_view_show_message (PigeonMessageView *self,
                                  PigeonSession     *session,
                                  gint64             message_id)
{
  g_autoptr(GError) error = NULL;
  PigeonStore *store;
  PigeonMessage *message;

  g_return_if_fail (PIGEON_IS_MESSAGE_VIEW (self));
  g_return_if_fail (PIGEON_IS_SESSION (session));

  if (self->session == session && self->message_id == message_id)
    return;
  store = pigeon_session_get_store (session);
  message = store ? pigeon_store_get_message (store, message_id, &error) : NULL;
  if (message == NULL)
    {
      pigeon_message_view_show_status (self, "dialog-warning-symbolic",
                                       _("This message could not be shown"),
                                       error ? error->message : NULL);
      return;
    }

  reset (self);
  self->cancellable = g_cancellable_new ();
  self->session = g_object_ref (session);
  self->store = g_object_ref (store);
  self->message_id = message_id;
  self->message = message;
  g_signal_connect (store, "messages-changed", G_CALLBACK (messages_changed_cb), self);

  fill_header (self, message);
  gtk_stack_set_visible_child_name (self->stack, "message");
  if (message->has_body)
    {
      /* The previous body stays the few milliseconds until this one is rendered. */
      start_render (self);
      return;
    }
  /* Never the previous message's body under this one's header. */
  if (self->web_view != NULL)
    pigeon_web_view_clear (self->web_view);
  fetch_body (self);
}

gboolean
pigeon_message_view_has_message (PigeonMessageView *self)
{
  g_return_val_if_fail (PIGEON_IS_MESSAGE_VIEW (self), FALSE);
  return self->message != NULL;
}

PigeonSession *
pigeon_message_view_get_session (PigeonMessageView *self)
{
  g_return_val_if_fail (PIGEON_IS_MESSAGE_VIEW (self), NULL);
  return self->session;
}

gint64
pigeon_message_view_get_message_id (PigeonMessageView *self)
{
  g_return_val_if_fail (PIGEON_IS_MESSAGE_VIEW (self), 0);
  return self->message_id;
}

void
pigeon_message_view_show_remote_content (PigeonMessageView *self)
{
  g_return_if_fail (PIGEON_IS_MESSAGE_VIEW (self));

  if (self->rendered != NULL && self->web_view != NULL &&
      !pigeon_web_view_get_remote_allowed (self->web_view))
    load_rendered (self, TRUE);
}

static void
remote_bar_response_cb (GtkInfoBar        *bar,
                        int                response,
                        PigeonMessageView *self)
{
  if (response == 2 && self->message != NULL)
    {
      g_autofree char *address = pigeon_render_address_of (self->message->from);

      pigeon_settings_list_add ("remote-content-senders", address);
    }
  pigeon_message_view_show_remote_content (self);
}

void
pigeon_message_view_zoom (PigeonMessageView *self,
                          int                step)
{
  GSettings *settings = pigeon_settings_get ();

  g_return_if_fail (PIGEON_IS_MESSAGE_VIEW (self));

  self->zoom = step == 0 ? 1.0 : CLAMP (self->zoom + step * ZOOM_STEP, 0.5, 3.0);
  if (self->web_view != NULL)
    pigeon_web_view_set_text_zoom (self->web_view, self->zoom);
  if (settings != NULL)
    g_settings_set_double (settings, "text-zoom", self->zoom);
}

void
pigeon_message_view_view_source (PigeonMessageView *self)
{
  GtkWidget *toplevel;

  g_return_if_fail (PIGEON_IS_MESSAGE_VIEW (self));

  if (self->raw == NULL || self->message == NULL)
    return;
  toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  gtk_window_present (GTK_WINDOW (pigeon_source_window_new (
    GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL, self->message->subject, self->raw)));
}

static void
hovering_link_cb (PigeonWebView     *web_view,
                  const char        *uri,
                  PigeonMessageView *self)
{
  gtk_label_set_text (self->link_label, uri ? uri : "");
  gtk_widget_set_visible (GTK_WIDGET (self->link_label), uri != NULL);
}

static void
dark_changed_cb (GtkSettings       *settings,
                 GParamSpec        *pspec,
                 PigeonMessageView *self)
{
  /* Only Pigeon's own plain-text pages change colours; a sender's HTML keeps its own. */
  if (self->rendered != NULL && self->rendered->plain && self->store != NULL)
    start_render (self);
}

/* ------------------------------------------------------------------ GObject */

static void
pigeon_message_view_dispose (GObject *object)
{
  PigeonMessageView *self = (PigeonMessageView *) object;

  reset (self);
  g_clear_pointer (&self->downloads, g_hash_table_unref);
  g_clear_pointer (&self->attachment_buttons, g_ptr_array_unref);

  G_OBJECT_CLASS (pigeon_message_view_parent_class)->dispose (object);
}

static void
pigeon_message_view_screen_changed (GtkWidget *widget,
                                    GdkScreen *previous)
{
  PigeonMessageView *self = PIGEON_MESSAGE_VIEW (widget);
  GtkSettings *settings;

  if (previous != NULL)
    g_signal_handlers_disconnect_by_data (gtk_settings_get_for_screen (previous), self);
  settings = gtk_widget_get_settings (widget);
  g_signal_connect_object (settings, "notify::gtk-application-prefer-dark-theme",
                           G_CALLBACK (dark_changed_cb), self, G_CONNECT_AFTER);
  g_signal_connect_object (settings, "notify::gtk-theme-name",
                           G_CALLBACK (dark_changed_cb), self, G_CONNECT_AFTER);
}

static void
pigeon_message_view_class_init (PigeonMessageViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pigeon_message_view_dispose;
  widget_class->screen_changed = pigeon_message_view_screen_changed;

  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/pigeonmail/Pigeon/pigeon-message-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageView, stack);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageView, status_image);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageView, status_title);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageView, status_detail);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageView, subject_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageView, date_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageView, from_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageView, to_caption);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageView, to_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageView, cc_caption);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageView, bcc_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageView, bcc_caption);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageView, cc_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageView, remote_bar);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageView, web_overlay);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageView, link_label);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageView, body_status);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageView, attachments_revealer);
  gtk_widget_class_bind_template_child (widget_class, PigeonMessageView, attachments_box);
  gtk_widget_class_bind_template_callback (widget_class, remote_bar_response_cb);
}

static void
pigeon_message_view_init (PigeonMessageView *self)
{
  g_autoptr(GSimpleActionGroup) actions = g_simple_action_group_new ();

  self->attachment_buttons = g_ptr_array_new ();
  self->downloads = g_hash_table_new (NULL, NULL);
  gtk_widget_init_template (GTK_WIDGET (self));

  self->zoom = pigeon_settings_get_double ("text-zoom", 1.0);

  g_action_map_add_action_entries (G_ACTION_MAP (actions), attachment_actions,
                                   G_N_ELEMENTS (attachment_actions), self);
  gtk_widget_insert_action_group (GTK_WIDGET (self), "attachment", G_ACTION_GROUP (actions));
}

GtkWidget *
pigeon_message_view_new (void)
{
  return g_object_new (PIGEON_TYPE_MESSAGE_VIEW, NULL);
}
