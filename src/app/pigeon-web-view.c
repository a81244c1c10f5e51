/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>
#include <gmime/gmime.h>
#include <string.h>

#include "pigeon-message-render.h"
#include "pigeon-web-view.h"

/* The document's address: nothing can be loaded relative to it. */
#define BASE_URI "about:blank"
#define FILTER_ID "pigeon-block-remote-content-1"

/* Block every load, then let the message's own parts (cid:) and inline data (data:)
 * through.  The rules cover the document's subresources, frames, pings and prefetches. */
static const char block_rules[] =
  "["
  "{\"trigger\":{\"url-filter\":\".*\"},\"action\":{\"type\":\"block\"}},"
  "{\"trigger\":{\"url-filter\":\"^cid:\"},\"action\":{\"type\":\"ignore-previous-rules\"}},"
  "{\"trigger\":{\"url-filter\":\"^data:\"},\"action\":{\"type\":\"ignore-previous-rules\"}}"
  "]";

static const char message_style[] =
  "img { max-width: 100%; height: auto; }"
  "body { overflow-wrap: anywhere; }"
  "pre { white-space: pre-wrap; }";

struct _PigeonWebView
{
  WebKitWebView parent_instance;

  GHashTable *cid_parts;   /* Content-ID -> GMimeObject */
  gboolean remote_allowed;
  gboolean loading_own;    /* our load_html is on its way */
  gboolean filter_applied;

  /* a load waiting for the content rules to compile */
  gboolean has_pending;
  char *pending_html;
  GHashTable *pending_cid_parts;
  gboolean pending_allow_remote;
  gboolean pending_paper;
};

G_DEFINE_FINAL_TYPE (PigeonWebView, pigeon_web_view, WEBKIT_TYPE_WEB_VIEW)

enum {
  SIGNAL_HOVERING_LINK,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void load_now (PigeonWebView *self, const char *html, GHashTable *cid_parts,
                      gboolean allow_remote, gboolean paper);

/* ------------------------------------------------------------------ the content rules */

static WebKitUserContentFilter *block_filter;
static GError *block_filter_error;
static gboolean block_filter_compiling;
static GPtrArray *block_filter_waiting;   /* PigeonWebView*, weak */

const char *
pigeon_web_view_get_block_rules (void)
{
  return block_rules;
}

static void
waiting_view_gone (gpointer  data,
                   GObject  *where_the_object_was)
{
  g_ptr_array_remove (block_filter_waiting, where_the_object_was);
}

static void
filter_saved_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GPtrArray) waiting = g_steal_pointer (&block_filter_waiting);

  block_filter_compiling = FALSE;
  block_filter = webkit_user_content_filter_store_save_finish (
    WEBKIT_USER_CONTENT_FILTER_STORE (source), result, &block_filter_error);
  if (block_filter == NULL)
    g_critical ("Could not compile the rules that block remote content: %s",
                block_filter_error->message);

  for (guint i = 0; waiting != NULL && i < waiting->len; i++)
    {
      PigeonWebView *view = g_ptr_array_index (waiting, i);

      g_object_weak_unref (G_OBJECT (view), waiting_view_gone, NULL);
      if (view->has_pending)
        {
          g_autofree char *html = g_steal_pointer (&view->pending_html);
          g_autoptr(GHashTable) parts = g_steal_pointer (&view->pending_cid_parts);

          view->has_pending = FALSE;
          load_now (view, html, parts, view->pending_allow_remote, view->pending_paper);
        }
    }
}

static void
ensure_block_filter (PigeonWebView *waiting_view)
{
  if (block_filter != NULL || block_filter_error != NULL)
    return;
  if (block_filter_waiting == NULL)
    block_filter_waiting = g_ptr_array_new ();
  if (g_ptr_array_find (block_filter_waiting, waiting_view, NULL) == FALSE)
    {
      g_ptr_array_add (block_filter_waiting, waiting_view);
      g_object_weak_ref (G_OBJECT (waiting_view), waiting_view_gone, NULL);
    }
  if (!block_filter_compiling)
    {
      g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "pigeon",
                                               "content-rules", NULL);
      g_autoptr(WebKitUserContentFilterStore) store = webkit_user_content_filter_store_new (dir);
      g_autoptr(GBytes) rules = g_bytes_new_static (block_rules, strlen (block_rules));

      block_filter_compiling = TRUE;
      webkit_user_content_filter_store_save (store, FILTER_ID, rules, NULL, filter_saved_cb,
                                             NULL);
    }
}

/* ------------------------------------------------------------------ cid: */

static void
cid_request_cb (WebKitURISchemeRequest *request,
                gpointer                user_data)
{
  WebKitWebView *web_view = webkit_uri_scheme_request_get_web_view (request);
  PigeonWebView *self = PIGEON_IS_WEB_VIEW (web_view) ? PIGEON_WEB_VIEW (web_view) : NULL;
  const char *path = webkit_uri_scheme_request_get_path (request);
  g_autofree char *unescaped = path ? g_uri_unescape_string (path, NULL) : NULL;
  g_autofree char *cid = unescaped ? g_ascii_strdown (unescaped, -1) : NULL;
  GMimeObject *part = NULL;

  if (self != NULL && cid != NULL && self->cid_parts != NULL)
    part = g_hash_table_lookup (self->cid_parts, cid);
  if (part == NULL)
    {
      g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                             "No part with this Content-ID in the message");

      webkit_uri_scheme_request_finish_error (request, error);
      return;
    }
  {
    g_autoptr(GBytes) bytes = pigeon_render_part_bytes (part);
    g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (bytes);
    g_autofree char *type =
      g_mime_content_type_get_mime_type (g_mime_object_get_content_type (part));

    webkit_uri_scheme_request_finish (request, stream, g_bytes_get_size (bytes), type);
  }
}

static WebKitWebContext *
shared_context (void)
{
  static WebKitWebContext *context;

  if (context == NULL)
    {
      WebKitSecurityManager *security;

      /* Ephemeral: no cookies, no caches, nothing written to disk. */
      context = webkit_web_context_new_ephemeral ();
      webkit_web_context_set_sandbox_enabled (context, TRUE);
      webkit_web_context_set_cache_model (context, WEBKIT_CACHE_MODEL_DOCUMENT_VIEWER);
      webkit_web_context_register_uri_scheme (context, "cid", cid_request_cb, NULL, NULL);
      security = webkit_web_context_get_security_manager (context);
      webkit_security_manager_register_uri_scheme_as_no_access (security, "cid");
    }
  return context;
}

/* ------------------------------------------------------------------ policy */

static gboolean
open_externally (PigeonWebView *self,
                 const char    *uri)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  g_autoptr(GError) error = NULL;
  g_autofree char *scheme = g_uri_parse_scheme (uri);

  /* Only what a browser or mail program opens; never file: or the like. */
  if (scheme == NULL ||
      (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0 &&
       g_ascii_strcasecmp (scheme, "mailto") != 0 && g_ascii_strcasecmp (scheme, "ftp") != 0))
    return FALSE;
  if (!gtk_show_uri_on_window (GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL, uri,
                               GDK_CURRENT_TIME, &error))
    g_warning ("Could not open %s: %s", uri, error->message);
  return TRUE;
}

static gboolean
pigeon_web_view_decide_policy (WebKitWebView            *web_view,
                               WebKitPolicyDecision     *decision,
                               WebKitPolicyDecisionType  type)
{
  PigeonWebView *self = PIGEON_WEB_VIEW (web_view);
  WebKitNavigationAction *action;
  const char *uri;

  if (type != WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION &&
      type != WEBKIT_POLICY_DECISION_TYPE_NEW_WINDOW_ACTION)
    {
      webkit_policy_decision_ignore (decision);
      return TRUE;
    }

  action = webkit_navigation_policy_decision_get_navigation_action (
    WEBKIT_NAVIGATION_POLICY_DECISION (decision));
  uri = webkit_uri_request_get_uri (webkit_navigation_action_get_request (action));

  /* Our own document, and jumps within it. */
  if (type == WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION &&
      ((self->loading_own && g_strcmp0 (uri, BASE_URI) == 0) ||
       g_str_has_prefix (uri, BASE_URI "#")))
    {
      webkit_policy_decision_use (decision);
      return TRUE;
    }

  /* A clicked link opens in the browser; nothing else goes anywhere. */
  if (webkit_navigation_action_get_navigation_type (action) ==
      WEBKIT_NAVIGATION_TYPE_LINK_CLICKED)
    open_externally (self, uri);
  webkit_policy_decision_ignore (decision);
  return TRUE;
}

static void
pigeon_web_view_load_changed (WebKitWebView   *web_view,
                              WebKitLoadEvent  event)
{
  PigeonWebView *self = PIGEON_WEB_VIEW (web_view);

  if (event == WEBKIT_LOAD_COMMITTED || event == WEBKIT_LOAD_FINISHED)
    self->loading_own = FALSE;
}

static gboolean
pigeon_web_view_context_menu (WebKitWebView       *web_view,
                              WebKitContextMenu   *menu,
                              GdkEvent            *event,
                              WebKitHitTestResult *hit)
{
  GList *items = g_list_copy (webkit_context_menu_get_items (menu));

  /* Copying stays; whatever would load, open or navigate goes. */
  for (GList *l = items; l != NULL; l = l->next)
    {
      WebKitContextMenuItem *item = l->data;

      switch (webkit_context_menu_item_get_stock_action (item))
        {
        case WEBKIT_CONTEXT_MENU_ACTION_COPY:
        case WEBKIT_CONTEXT_MENU_ACTION_COPY_LINK_TO_CLIPBOARD:
        case WEBKIT_CONTEXT_MENU_ACTION_COPY_IMAGE_TO_CLIPBOARD:
        case WEBKIT_CONTEXT_MENU_ACTION_SELECT_ALL:
        case WEBKIT_CONTEXT_MENU_ACTION_OPEN_LINK:
          break;
        default:
          webkit_context_menu_remove (menu, item);
          break;
        }
    }
  g_list_free (items);
  /* Empty: no menu at all. */
  return webkit_context_menu_get_n_items (menu) == 0;
}

static void
pigeon_web_view_mouse_target_changed (WebKitWebView       *web_view,
                                      WebKitHitTestResult *hit,
                                      guint                modifiers)
{
  const char *uri = webkit_hit_test_result_context_is_link (hit)
                      ? webkit_hit_test_result_get_link_uri (hit) : NULL;

  g_signal_emit (web_view, signals[SIGNAL_HOVERING_LINK], 0, uri);
}

static gboolean
pigeon_web_view_web_process_terminated_cb (WebKitWebView                     *web_view,
                                           WebKitWebProcessTerminationReason  reason,
                                           gpointer                           user_data)
{
  g_warning ("The process showing messages stopped (reason %d)", reason);
  return FALSE;
}

/* ------------------------------------------------------------------ loading */

static void
apply_filter (PigeonWebView *self,
              gboolean       blocked)
{
  WebKitUserContentManager *ucm = webkit_web_view_get_user_content_manager (WEBKIT_WEB_VIEW (self));

  if (blocked && !self->filter_applied)
    {
      webkit_user_content_manager_add_filter (ucm, block_filter);
      self->filter_applied = TRUE;
    }
  else if (!blocked && self->filter_applied)
    {
      webkit_user_content_manager_remove_all_filters (ucm);
      self->filter_applied = FALSE;
    }
}

static void
load_now (PigeonWebView *self,
          const char    *html,
          GHashTable    *cid_parts,
          gboolean       allow_remote,
          gboolean       paper)
{
  GdkRGBA white = { 1, 1, 1, 1 };
  GdkRGBA clear = { 0, 0, 0, 0 };

  if (block_filter == NULL && !allow_remote)
    {
      /* Without the rules nothing remote could be stopped: show no HTML at all. */
      g_autofree char *text = g_markup_printf_escaped (
        "<p>%s</p><pre>%s</pre>",
        _("Pigeon could not set up the blocking of remote content, so this message is shown as "
          "its source."),
        block_filter_error ? block_filter_error->message : "");
      g_autofree char *doc = pigeon_render_plain_document (text, FALSE);

      apply_filter (self, FALSE);
      g_clear_pointer (&self->cid_parts, g_hash_table_unref);
      self->loading_own = TRUE;
      webkit_web_view_load_html (WEBKIT_WEB_VIEW (self), doc, BASE_URI);
      return;
    }

  g_clear_pointer (&self->cid_parts, g_hash_table_unref);
  self->cid_parts = cid_parts ? g_hash_table_ref (cid_parts) : NULL;
  self->remote_allowed = allow_remote;
  apply_filter (self, !allow_remote);
  webkit_web_view_set_background_color (WEBKIT_WEB_VIEW (self), paper ? &white : &clear);
  self->loading_own = TRUE;
  webkit_web_view_load_html (WEBKIT_WEB_VIEW (self), html, BASE_URI);
}

void
pigeon_web_view_load_message (PigeonWebView *self,
                              const char    *html,
                              GHashTable    *cid_parts,
                              gboolean       allow_remote,
                              gboolean       paper)
{
  g_return_if_fail (PIGEON_IS_WEB_VIEW (self));
  g_return_if_fail (html != NULL);

  if (block_filter == NULL && block_filter_error == NULL)
    {
      /* The rules compile once per run, in a few milliseconds: wait for them. */
      g_free (self->pending_html);
      g_clear_pointer (&self->pending_cid_parts, g_hash_table_unref);
      self->has_pending = TRUE;
      self->pending_html = g_strdup (html);
      self->pending_cid_parts = cid_parts ? g_hash_table_ref (cid_parts) : NULL;
      self->pending_allow_remote = allow_remote;
      self->pending_paper = paper;
      ensure_block_filter (self);
      return;
    }
  self->has_pending = FALSE;
  load_now (self, html, cid_parts, allow_remote, paper);
}

void
pigeon_web_view_clear (PigeonWebView *self)
{
  g_return_if_fail (PIGEON_IS_WEB_VIEW (self));

  self->has_pending = FALSE;
  g_clear_pointer (&self->pending_html, g_free);
  g_clear_pointer (&self->pending_cid_parts, g_hash_table_unref);
  g_clear_pointer (&self->cid_parts, g_hash_table_unref);
  self->loading_own = TRUE;
  /* A document of its own (an empty string would leave the last one standing). */
  webkit_web_view_load_html (WEBKIT_WEB_VIEW (self), "<!DOCTYPE html><html><body></body></html>",
                             BASE_URI);
}

gboolean
pigeon_web_view_get_remote_allowed (PigeonWebView *self)
{
  g_return_val_if_fail (PIGEON_IS_WEB_VIEW (self), FALSE);
  return self->remote_allowed;
}

void
pigeon_web_view_set_text_zoom (PigeonWebView *self,
                               double         zoom)
{
  g_return_if_fail (PIGEON_IS_WEB_VIEW (self));
  webkit_web_view_set_zoom_level (WEBKIT_WEB_VIEW (self), CLAMP (zoom, 0.5, 3.0));
}

/* ------------------------------------------------------------------ GObject */

static WebKitSettings *
locked_down_settings (void)
{
  WebKitSettings *settings = webkit_settings_new ();

  webkit_settings_set_enable_javascript (settings, FALSE);
  webkit_settings_set_enable_javascript_markup (settings, FALSE);
  webkit_settings_set_javascript_can_open_windows_automatically (settings, FALSE);
  webkit_settings_set_javascript_can_access_clipboard (settings, FALSE);
  webkit_settings_set_enable_html5_local_storage (settings, FALSE);
  webkit_settings_set_enable_html5_database (settings, FALSE);
  webkit_settings_set_enable_page_cache (settings, FALSE);
  webkit_settings_set_enable_media (settings, FALSE);
  webkit_settings_set_enable_webaudio (settings, FALSE);
  webkit_settings_set_enable_webgl (settings, FALSE);
  webkit_settings_set_enable_fullscreen (settings, FALSE);
  webkit_settings_set_enable_developer_extras (settings, FALSE);
  webkit_settings_set_enable_back_forward_navigation_gestures (settings, FALSE);
  webkit_settings_set_allow_file_access_from_file_urls (settings, FALSE);
  webkit_settings_set_allow_universal_access_from_file_urls (settings, FALSE);
  webkit_settings_set_allow_top_navigation_to_data_urls (settings, FALSE);
  webkit_settings_set_media_playback_requires_user_gesture (settings, TRUE);
  webkit_settings_set_zoom_text_only (settings, TRUE);
  webkit_settings_set_default_charset (settings, "utf-8");
  return settings;
}

static void
pigeon_web_view_constructed (GObject *object)
{
  PigeonWebView *self = PIGEON_WEB_VIEW (object);
  WebKitUserContentManager *ucm = webkit_web_view_get_user_content_manager (WEBKIT_WEB_VIEW (self));
  g_autoptr(WebKitUserStyleSheet) style = NULL;

  G_OBJECT_CLASS (pigeon_web_view_parent_class)->constructed (object);

  style = webkit_user_style_sheet_new (message_style, WEBKIT_USER_CONTENT_INJECT_ALL_FRAMES,
                                       WEBKIT_USER_STYLE_LEVEL_USER, NULL, NULL);
  webkit_user_content_manager_add_style_sheet (ucm, style);

  g_signal_connect (self, "web-process-terminated",
                    G_CALLBACK (pigeon_web_view_web_process_terminated_cb), NULL);
  ensure_block_filter (self);
}

static void
pigeon_web_view_finalize (GObject *object)
{
  PigeonWebView *self = (PigeonWebView *) object;

  g_clear_pointer (&self->cid_parts, g_hash_table_unref);
  g_clear_pointer (&self->pending_cid_parts, g_hash_table_unref);
  g_free (self->pending_html);

  G_OBJECT_CLASS (pigeon_web_view_parent_class)->finalize (object);
}

static void
pigeon_web_view_class_init (PigeonWebViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  WebKitWebViewClass *web_view_class = WEBKIT_WEB_VIEW_CLASS (klass);

  object_class->constructed = pigeon_web_view_constructed;
  object_class->finalize = pigeon_web_view_finalize;
  web_view_class->decide_policy = pigeon_web_view_decide_policy;
  web_view_class->load_changed = pigeon_web_view_load_changed;
  web_view_class->context_menu = pigeon_web_view_context_menu;
  web_view_class->mouse_target_changed = pigeon_web_view_mouse_target_changed;

  signals[SIGNAL_HOVERING_LINK] =
    g_signal_new ("hovering-link", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
pigeon_web_view_init (PigeonWebView *self)
{
}

GtkWidget *
pigeon_web_view_new (void)
{
  g_autoptr(WebKitUserContentManager) ucm = webkit_user_content_manager_new ();
  g_autoptr(WebKitSettings) settings = locked_down_settings ();

  return g_object_new (PIGEON_TYPE_WEB_VIEW,
                       "web-context", shared_context (),
                       "user-content-manager", ucm,
                       "settings", settings,
                       NULL);
}
