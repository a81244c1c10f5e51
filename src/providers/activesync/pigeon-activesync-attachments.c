/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-activesync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-activesync-private.h"
#include "pigeon-error.h"
#include "pigeon-mime.h"

/*
 * Big messages without their attachments.  A message over
 * PIGEON_ACTIVESYNC_LARGE_MESSAGE is opened with ItemOperations Fetch asking for its HTML
 * (or plain) body alone, in full, and its attachment list ([MS-ASCMD] 2.2.1.10,
 * [MS-ASAIRS] 2.2.2.8).  What is stored is a MIME document built from that: the text,
 * inline images small enough fetched at once (so cid: works), and for every other
 * attachment a placeholder part naming its FileReference (see
 * PIGEON_PROVIDER_EXTERNAL_ACCESS_TYPE).  Opening or saving one fetches it by FileReference
 * and puts it in the placeholder's place.
 */

#define BODY_TYPE_PLAIN      1
#define BODY_TYPE_HTML       2
#define STATUS_OK            1
/* Inline images up to this size come with the text; the rest wait to be asked for. */
#define INLINE_IMAGE_MAX     (512 * 1024)
#define INLINE_IMAGES_TOTAL  (2 * 1024 * 1024)

/* ------------------------------------------------------------------ requests and answers */

PigeonEasNode *
pigeon_activesync_attachment_request (const char *file_reference)
{
  PigeonEasNode *request = pigeon_eas_node_new ("ItemOperations:ItemOperations");
  PigeonEasNode *fetch = pigeon_eas_node_add (request, "ItemOperations:Fetch");

  g_return_val_if_fail (file_reference != NULL, NULL);

  pigeon_eas_node_add_text (fetch, "ItemOperations:Store", "Mailbox");
  pigeon_eas_node_add_text (fetch, "AirSyncBase:FileReference", file_reference);
  return request;
}

PigeonEasNode *
pigeon_activesync_text_request (const char *collection_id,
                                const char *remote_id)
{
  PigeonEasNode *request = pigeon_eas_node_new ("ItemOperations:ItemOperations");
  PigeonEasNode *fetch = pigeon_eas_node_add (request, "ItemOperations:Fetch");
  PigeonEasNode *options, *preference;

  pigeon_eas_node_add_text (fetch, "ItemOperations:Store", "Mailbox");
  if (pigeon_activesync_is_long_id (remote_id))
    pigeon_eas_node_add_text (fetch, "Search:LongId", remote_id);
  else
    {
      pigeon_eas_node_add_text (fetch, "AirSync:CollectionId", collection_id);
      pigeon_eas_node_add_text (fetch, "AirSync:ServerId", remote_id);
    }
  /* No MIMESupport and no TruncationSize: the whole text as the server renders it. */
  options = pigeon_eas_node_add (fetch, "ItemOperations:Options");
  preference = pigeon_eas_node_add (options, "AirSyncBase:BodyPreference");
  pigeon_eas_node_add_printf (preference, "AirSyncBase:Type", "%d", BODY_TYPE_HTML);
  return request;
}

/* The one Fetch of an answer, checked: NULL with an error naming WHAT otherwise. */
static PigeonEasNode *
answer_fetch (const PigeonEasNode  *reply,
              const char           *what,
              GError              **error)
{
  PigeonEasNode *fetch;
  gint64 status;

  if (reply == NULL || !pigeon_eas_node_is (reply, "ItemOperations:ItemOperations"))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The server did not answer the request for %s."), what);
      return NULL;
    }
  status = pigeon_eas_node_find_int (reply, "ItemOperations:Status", 0);
  fetch = pigeon_eas_node_find_path (reply, "ItemOperations:Response/ItemOperations:Fetch");
  if (status == STATUS_OK && fetch != NULL)
    status = pigeon_eas_node_find_int (fetch, "ItemOperations:Status", 0);
  switch (status)
    {
    case STATUS_OK:
      if (fetch != NULL)
        return fetch;
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The server did not answer the request for %s."), what);
      return NULL;
    case 6:    /* object not found */
    case 15:   /* attachment or item not found */
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                   _("The server no longer has %s."), what);
      return NULL;
    case 11:   /* too large */
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_TOO_BIG,
                   _("The server will not send %s: it is too large."), what);
      return NULL;
    case 5:
    case 16:   /* access denied */
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_REJECTED,
                   _("The server does not allow downloading %s."), what);
      return NULL;
    default:
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_SERVER,
                   _("The server could not send %s (status %d). Try again "
                     "later."), what, (int) status);
      return NULL;
    }
}

/* Strict base64 (whitespace allowed): g_base64_decode takes anything. */
static gboolean
valid_base64 (const char *text,
              gsize       len)
{
  gsize n = 0, padding = 0;

  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (g_ascii_isspace (c))
        continue;
      if (c == '=')
        {
          padding++;
          n++;
          continue;
        }
      if (padding > 0 || !(g_ascii_isalnum (c) || c == '+' || c == '/'))
        return FALSE;
      n++;
    }
  return n % 4 == 0 && padding <= 2;
}

/* "type/subtype", as SOGo does not always manage ("(null)/(null)"). */
static gboolean
usable_content_type (const char *text)
{
  g_auto(GStrv) halves = NULL;

  if (text == NULL || strchr (text, ' ') != NULL)
    return FALSE;
  halves = g_strsplit (text, "/", 2);
  return halves[0] != NULL && halves[1] != NULL && *halves[0] != '\0' && *halves[1] != '\0' &&
         strcmp (halves[0], "(null)") != 0 && strcmp (halves[1], "(null)") != 0;
}

GBytes *
pigeon_activesync_attachment_parse (const PigeonEasNode  *reply,
                                    gsize                 max_size,
                                    char                **out_content_type,
                                    GError              **error)
{
  PigeonEasNode *fetch = answer_fetch (reply, _("the attachment"), error);
  PigeonEasNode *properties, *data;
  const char *content_type;
  gsize len;
  guchar *decoded;
  gsize decoded_len = 0;

  if (fetch == NULL)
    return NULL;
  properties = pigeon_eas_node_find (fetch, "ItemOperations:Properties");
  data = pigeon_eas_node_find (properties, "ItemOperations:Data");
  if (data == NULL)
    data = pigeon_eas_node_find (properties, "AirSyncBase:Data");
  if (data == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The server sent the attachment without its content."));
      return NULL;
    }
  len = data->content != NULL ? data->content->len : 0;
  if (!data->opaque && g_strcmp0 (pigeon_eas_node_get_text (data), "(null)") == 0)
    {
      /* SOGo's answer for a part it does not have: status 1, Data "(null)" and ContentType
       * "(null)/(null)". */
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                   _("The server no longer has %s."), _("the attachment"));
      return NULL;
    }
  if (data->opaque)
    {
      /* Some servers send the bytes themselves as OPAQUE rather than base64 text. */
      if (len > max_size)
        goto too_big;
      decoded = (guchar *) g_memdup2 (len > 0 ? data->content->str : "", len);
      decoded_len = len;
    }
  else
    {
      if (len / 4 * 3 > max_size + 3)
        goto too_big;
      if (len > 0 && !valid_base64 (data->content->str, len))
        {
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                       _("The server sent the attachment in a damaged form."));
          return NULL;
        }
      decoded = len > 0 ? g_base64_decode (data->content->str, &decoded_len) : g_malloc0 (1);
      if (decoded_len > max_size)
        {
          g_free (decoded);
          goto too_big;
        }
    }
  content_type = pigeon_eas_node_find_text (properties, "AirSyncBase:ContentType");
  if (out_content_type != NULL)
    *out_content_type = usable_content_type (content_type) ? g_strdup (content_type) : NULL;
  return g_bytes_new_take (decoded, decoded_len);

too_big:
  {
    g_autofree char *limit = g_format_size (max_size);

    g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_TOO_BIG,
                 _("The attachment is larger than Pigeon can download (%s)."), limit);
  }
  return NULL;
}

/* ------------------------------------------------------------------ the document */

void
pigeon_activesync_attachment_info_free (PigeonActiveSyncAttachmentInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->display_name);
  g_free (info->file_reference);
  g_free (info->content_id);
  g_free (info->content_type);
  g_free (info);
}

GPtrArray *
pigeon_activesync_attachments_from_node (const PigeonEasNode *attachments)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (
    (GDestroyNotify) pigeon_activesync_attachment_info_free);

  for (guint i = 0; i < pigeon_eas_node_n_children (attachments); i++)
    {
      PigeonEasNode *node = pigeon_eas_node_get_child (attachments, i);
      PigeonActiveSyncAttachmentInfo *info;
      const char *reference = pigeon_eas_node_find_text (node, "AirSyncBase:FileReference");
      const char *name = pigeon_eas_node_find_text (node, "AirSyncBase:DisplayName");
      const char *cid = pigeon_eas_node_find_text (node, "AirSyncBase:ContentId");
      g_autofree char *guessed = NULL;

      if (!pigeon_eas_node_is (node, "AirSyncBase:Attachment") || reference == NULL ||
          *reference == '\0')
        continue;
      info = g_new0 (PigeonActiveSyncAttachmentInfo, 1);
      info->file_reference = g_strdup (reference);
      /* A name is a file name, never a path. */
      info->display_name = name != NULL && *name != '\0' ? g_path_get_basename (name) : NULL;
      if (info->display_name != NULL && (strcmp (info->display_name, ".") == 0 ||
                                         strcmp (info->display_name, "/") == 0))
        g_clear_pointer (&info->display_name, g_free);
      info->method = pigeon_eas_node_find_int (node, "AirSyncBase:Method", 1);
      info->size = MAX (0, pigeon_eas_node_find_int (node, "AirSyncBase:EstimatedDataSize", 0));
      info->is_inline = pigeon_eas_node_find_int (node, "AirSyncBase:IsInline", 0) == 1;
      if (cid != NULL && *cid != '\0')
        {
          gsize n = strlen (cid);

          info->content_id = cid[0] == '<' && n > 2 && cid[n - 1] == '>'
                               ? g_strndup (cid + 1, n - 2) : g_strdup (cid);
        }
      if (info->method == 5)
        info->content_type = g_strdup ("message/rfc822");
      else
        {
          guessed = g_content_type_guess (info->display_name, NULL, 0, NULL);
          info->content_type = g_content_type_get_mime_type (guessed);
          if (info->content_type == NULL)
            info->content_type = g_strdup ("application/octet-stream");
        }
      g_ptr_array_add (list, info);
    }
  return list;
}

gboolean
pigeon_activesync_is_inline_image (const PigeonActiveSyncAttachmentInfo *info)
{
  return info->is_inline && info->content_id != NULL && info->size <= INLINE_IMAGE_MAX &&
         g_str_has_prefix (info->content_type, "image/");
}

static void
set_addresses (GMimeMessage       *doc,
               GMimeAddressType    type,
               const char         *text)
{
  g_autoptr(InternetAddressList) list = NULL;

  if (text == NULL || *text == '\0')
    return;
  list = internet_address_list_parse (NULL, text);
  if (list != NULL)
    internet_address_list_append (g_mime_message_get_addresses (doc, type), list);
}

static GMimeObject *
placeholder_part (const PigeonActiveSyncAttachmentInfo *info)
{
  GMimePart *part = g_mime_part_new_with_type ("message", "external-body");
  GMimeContentType *type = g_mime_object_get_content_type (GMIME_OBJECT (part));
  g_autoptr(GString) phantom = g_string_new (NULL);
  g_autoptr(GMimeStream) stream = NULL;
  g_autoptr(GMimeDataWrapper) wrapper = NULL;

  g_mime_content_type_set_parameter (type, "access-type", PIGEON_PROVIDER_EXTERNAL_ACCESS_TYPE);
  g_mime_content_type_set_parameter (type, "reference", info->file_reference);
  if (info->size > 0)
    {
      g_autofree char *size = g_strdup_printf ("%" G_GINT64_FORMAT, info->size);

      g_mime_content_type_set_parameter (type, "size", size);
    }
  g_mime_object_set_disposition (GMIME_OBJECT (part), info->is_inline ? "inline" : "attachment");
  if (info->display_name != NULL)
    g_mime_part_set_filename (part, info->display_name);
  /* The real part's own headers, as RFC 2046 5.2.3 has them. */
  g_string_append_printf (phantom, "Content-Type: %s\r\n", info->content_type);
  if (info->content_id != NULL)
    g_string_append_printf (phantom, "Content-ID: <%s>\r\n", info->content_id);
  g_string_append (phantom, "\r\n");
  stream = g_mime_stream_mem_new_with_buffer (phantom->str, phantom->len);
  wrapper = g_mime_data_wrapper_new_with_stream (stream, GMIME_CONTENT_ENCODING_DEFAULT);
  g_mime_part_set_content (part, wrapper);
  g_mime_part_set_content_encoding (part, GMIME_CONTENT_ENCODING_7BIT);
  return GMIME_OBJECT (part);
}

static GMimeObject *
image_part (const PigeonActiveSyncAttachmentInfo *info,
            GBytes                               *content)
{
  GMimeContentType *type = g_mime_content_type_parse (NULL, info->content_type);
  GMimePart *part = g_mime_part_new_with_type (g_mime_content_type_get_media_type (type),
                                               g_mime_content_type_get_media_subtype (type));
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer (
    g_bytes_get_data (content, NULL), g_bytes_get_size (content));
  g_autoptr(GMimeDataWrapper) wrapper =
    g_mime_data_wrapper_new_with_stream (stream, GMIME_CONTENT_ENCODING_DEFAULT);

  g_mime_object_set_disposition (GMIME_OBJECT (part), "inline");
  if (info->display_name != NULL)
    g_mime_part_set_filename (part, info->display_name);
  g_mime_part_set_content_id (part, info->content_id);
  g_mime_part_set_content (part, wrapper);
  g_mime_part_set_content_encoding (part, GMIME_CONTENT_ENCODING_BASE64);
  g_object_unref (type);
  return GMIME_OBJECT (part);
}

GBytes *
pigeon_activesync_build_partial (const PigeonMessage *envelope,
                                 const PigeonEasNode *properties,
                                 GPtrArray           *attachments,
                                 GHashTable          *inline_images,
                                 GError             **error)
{
  PigeonEasNode *body = pigeon_eas_node_find (properties, "AirSyncBase:Body");
  gint64 type = pigeon_eas_node_find_int (body, "AirSyncBase:Type", 0);
  const char *text = pigeon_eas_node_find_text (body, "AirSyncBase:Data");
  g_autoptr(GMimeMessage) doc = g_mime_message_new (TRUE);
  g_autoptr(GMimeMultipart) mixed = g_mime_multipart_new_with_subtype ("mixed");
  g_autoptr(GMimeMultipart) related = NULL;
  g_autoptr(GMimeTextPart) text_part = NULL;
  g_autoptr(GMimeStream) out = g_mime_stream_mem_new ();
  GByteArray *array;

  if (body == NULL || (type != BODY_TYPE_HTML && type != BODY_TYPE_PLAIN))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The server sent the message without its text."));
      return NULL;
    }
  if (pigeon_eas_node_find_int (body, "AirSyncBase:Truncated", 0) == 1)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                   _("The server sent only part of the message's text."));
      return NULL;
    }

  set_addresses (doc, GMIME_ADDRESS_TYPE_FROM, envelope->from);
  set_addresses (doc, GMIME_ADDRESS_TYPE_TO, envelope->to);
  set_addresses (doc, GMIME_ADDRESS_TYPE_CC, envelope->cc);
  set_addresses (doc, GMIME_ADDRESS_TYPE_REPLY_TO, envelope->reply_to);
  if (envelope->subject != NULL)
    g_mime_message_set_subject (doc, envelope->subject, "utf-8");
  if (envelope->date > 0)
    {
      g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (envelope->date);

      g_mime_message_set_date (doc, date);
    }
  if (envelope->message_id != NULL)
    g_mime_message_set_message_id (doc, envelope->message_id);
  /* Whoever reads the source sees what this is. */
  g_mime_object_set_header (GMIME_OBJECT (doc), "X-Pigeon-Partial",
                            "text from the server; attachments are downloaded when opened "
                            "or saved", NULL);
  g_mime_multipart_set_prologue (mixed,
                                 "Pigeon put this message together from the text the "
                                 "server sent. The attachments listed\nbelow as "
                                 "message/external-body stay on the server until they are "
                                 "opened or saved.");

  text_part = g_mime_text_part_new_with_subtype (type == BODY_TYPE_HTML ? "html" : "plain");
  g_mime_text_part_set_text (text_part, text != NULL ? text : "");

  for (guint i = 0; i < attachments->len; i++)
    {
      PigeonActiveSyncAttachmentInfo *info = g_ptr_array_index (attachments, i);
      GBytes *image = inline_images != NULL ? g_hash_table_lookup (inline_images, info)
                                            : NULL;

      if (image != NULL)
        {
          g_autoptr(GMimeObject) part = NULL;

          if (related == NULL)
            {
              related = g_mime_multipart_new_with_subtype ("related");
              g_mime_multipart_add (related, GMIME_OBJECT (text_part));
            }
          part = image_part (info, image);
          g_mime_multipart_add (related, part);
        }
    }
  g_mime_multipart_add (mixed, related != NULL ? GMIME_OBJECT (related)
                                               : GMIME_OBJECT (text_part));
  for (guint i = 0; i < attachments->len; i++)
    {
      PigeonActiveSyncAttachmentInfo *info = g_ptr_array_index (attachments, i);

      if (inline_images == NULL || !g_hash_table_contains (inline_images, info))
        {
          g_autoptr(GMimeObject) part = placeholder_part (info);

          g_mime_multipart_add (mixed, part);
        }
    }
  g_mime_message_set_mime_part (doc, GMIME_OBJECT (mixed));

  g_mime_object_write_to_stream (GMIME_OBJECT (doc), NULL, out);
  array = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (out));
  return g_bytes_new (array->data, array->len);
}

/* ------------------------------------------------------------------ over the wire */

static PigeonEasNode *
item_operations (PigeonActiveSyncProvider  *self,
                 PigeonEasNode             *request,
                 const char                *what,
                 GCancellable              *cancellable,
                 GError                   **error)
{
  g_autoptr(GError) local_error = NULL;
  PigeonEasNode *reply = pigeon_eas_client_command (self->client, "ItemOperations", request,
                                                    NULL, 0, cancellable, &local_error);

  if (reply == NULL)
    {
      if (local_error == NULL)
        g_set_error (&local_error, PIGEON_ERROR, PIGEON_ERROR_PROTOCOL,
                     _("The server sent nothing for %s."), what);
      g_propagate_error (error, g_steal_pointer (&local_error));
    }
  return reply;
}

GBytes *
pigeon_activesync_fetch_attachment (PigeonActiveSyncProvider  *self,
                                    const char                *file_reference,
                                    gsize                      max_size,
                                    char                     **out_content_type,
                                    GCancellable              *cancellable,
                                    GError                   **error)
{
  g_autoptr(PigeonEasNode) request = pigeon_activesync_attachment_request (file_reference);
  g_autoptr(PigeonEasNode) reply = item_operations (self, request, _("the attachment"),
                                                    cancellable, error);

  if (reply == NULL)
    return NULL;
  return pigeon_activesync_attachment_parse (reply, max_size, out_content_type, error);
}

/* The inline images worth having with the text, fetched; a failure leaves that one a
 * placeholder. */
static GHashTable *
fetch_inline_images (PigeonActiveSyncProvider  *self,
                     GPtrArray                 *attachments,
                     GCancellable              *cancellable,
                     GError                   **error)
{
  g_autoptr(GHashTable) images = g_hash_table_new_full (NULL, NULL, NULL,
                                                        (GDestroyNotify) g_bytes_unref);
  gsize total = 0;

  for (guint i = 0; i < attachments->len; i++)
    {
      PigeonActiveSyncAttachmentInfo *info = g_ptr_array_index (attachments, i);
      g_autoptr(GError) local_error = NULL;
      g_autofree char *content_type = NULL;
      GBytes *image;

      if (!pigeon_activesync_is_inline_image (info) ||
          total + (gsize) info->size > INLINE_IMAGES_TOTAL)
        continue;
      image = pigeon_activesync_fetch_attachment (self, info->file_reference, INLINE_IMAGE_MAX,
                                                  &content_type, cancellable, &local_error);
      if (image == NULL)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return NULL;
            }
          g_message ("ActiveSync: inline image %s stays on the server: %s",
                     info->display_name ? info->display_name : info->file_reference,
                     local_error->message);
          continue;
        }
      if (content_type != NULL && g_str_has_prefix (content_type, "image/"))
        {
          g_free (info->content_type);
          info->content_type = g_steal_pointer (&content_type);
        }
      total += g_bytes_get_size (image);
      g_hash_table_insert (images, info, image);
    }
  return g_steal_pointer (&images);
}

gboolean
pigeon_activesync_fetch_text (PigeonActiveSyncProvider  *self,
                              const PigeonMessage       *message,
                              const char                *collection_id,
                              gboolean                  *out_need_mime,
                              GCancellable              *cancellable,
                              GError                   **error)
{
  PigeonStore *store = pigeon_provider_get_store (PIGEON_PROVIDER (self));
  g_autoptr(PigeonEasNode) request = pigeon_activesync_text_request (collection_id,
                                                                      message->remote_id);
  g_autoptr(PigeonEasNode) reply = NULL;
  g_autoptr(GPtrArray) attachments = NULL;
  g_autoptr(GHashTable) images = NULL;
  g_autoptr(GBytes) raw = NULL;
  PigeonEasNode *fetch, *properties, *list;

  *out_need_mime = FALSE;
  reply = item_operations (self, request, _("the message"), cancellable, error);
  if (reply == NULL)
    return FALSE;
  fetch = answer_fetch (reply, _("the message"), error);
  if (fetch == NULL)
    return FALSE;
  properties = pigeon_eas_node_find (fetch, "ItemOperations:Properties");
  list = pigeon_eas_node_find (properties, "AirSyncBase:Attachments");
  if (list == NULL && message->has_attachments)
    {
      /* Without the list the attachments would be lost: take the whole message. */
      g_message ("ActiveSync: the server listed no attachments with the text; "
                 "downloading the whole message");
      *out_need_mime = TRUE;
      return TRUE;
    }
  attachments = pigeon_activesync_attachments_from_node (list);
  images = fetch_inline_images (self, attachments, cancellable, error);
  if (images == NULL)
    return FALSE;
  raw = pigeon_activesync_build_partial (message, properties, attachments, images, error);
  if (raw == NULL)
    return FALSE;
  return pigeon_store_set_body (store, message->id, raw, error);
}
