/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The composer's rich-text body: WebKitGTK in editing mode, and what the plain text and the
 * rich text have in common. */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "pigeon-composer-private.h"

/* The page the editor edits: the user's content goes in the body, nothing else. */
static const char document_head[] =
  "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
  "<style>"
  "body { font-family: sans-serif; font-size: 11pt; margin: 12px 18px; line-height: 1.4;"
  "       word-wrap: break-word; }"
  "blockquote { margin: 0.5em 0; padding-left: 12px; border-left: 3px solid #99c1f1;"
  "             color: #5e5c64; }"
  "@media (prefers-color-scheme: dark) { body { color: #eeeeec; background: #2d2d2d; } }"
  "</style></head><body>";
static const char document_tail[] = "</body></html>";

/* Typing is reported by the page; the page has no script but this one of ours. */
static const char changes_script[] =
  "document.addEventListener('input', function () {"
  "  window.webkit.messageHandlers.pigeonChanged.postMessage('');"
  "}, true);";

typedef struct
{
  GCallback changed;
  gpointer data;
} Changed;

static void
message_cb (WebKitUserContentManager *manager,
            WebKitJavascriptResult   *result,
            Changed                  *changed)
{
  ((void (*) (gpointer)) changed->changed) (changed->data);
}

static gboolean
decide_policy_cb (WebKitWebView            *view,
                  WebKitPolicyDecision     *decision,
                  WebKitPolicyDecisionType  type,
                  gpointer                  user_data)
{
  if (type == WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION)
    {
      WebKitNavigationAction *action =
        webkit_navigation_policy_decision_get_navigation_action (
          WEBKIT_NAVIGATION_POLICY_DECISION (decision));

      /* Our own load of the content; anything else (a link clicked) goes nowhere. */
      if (webkit_navigation_action_get_navigation_type (action) != WEBKIT_NAVIGATION_TYPE_OTHER)
        {
          webkit_policy_decision_ignore (decision);
          return TRUE;
        }
      return FALSE;
    }
  if (type == WEBKIT_POLICY_DECISION_TYPE_NEW_WINDOW_ACTION)
    {
      webkit_policy_decision_ignore (decision);
      return TRUE;
    }
  return FALSE;
}

void
pigeon_composer_body_setup (WebKitWebView *view,
                            GCallback      changed,
                            gpointer       data)
{
  WebKitSettings *settings = webkit_web_view_get_settings (view);
  WebKitUserContentManager *manager = webkit_web_view_get_user_content_manager (view);
  g_autoptr(WebKitUserScript) script = NULL;
  Changed *c = g_new0 (Changed, 1);

  /* Script only from us (reading the content back): none from what is pasted in. */
  webkit_settings_set_enable_javascript (settings, TRUE);
  webkit_settings_set_enable_javascript_markup (settings, FALSE);
  webkit_settings_set_javascript_can_open_windows_automatically (settings, FALSE);
  webkit_settings_set_enable_html5_database (settings, FALSE);
  webkit_settings_set_enable_html5_local_storage (settings, FALSE);
  webkit_settings_set_enable_page_cache (settings, FALSE);
  webkit_settings_set_enable_developer_extras (settings, FALSE);
  webkit_web_view_set_editable (view, TRUE);

  c->changed = changed;
  c->data = data;
  script = webkit_user_script_new (changes_script, WEBKIT_USER_CONTENT_INJECT_TOP_FRAME,
                                   WEBKIT_USER_SCRIPT_INJECT_AT_DOCUMENT_END, NULL, NULL);
  webkit_user_content_manager_add_script (manager, script);
  g_signal_connect_data (manager, "script-message-received::pigeonChanged",
                         G_CALLBACK (message_cb), c, (GClosureNotify) g_free, 0);
  webkit_user_content_manager_register_script_message_handler (manager, "pigeonChanged");
  g_signal_connect (view, "decide-policy", G_CALLBACK (decide_policy_cb), NULL);
}

void
pigeon_composer_body_load_html (WebKitWebView *view,
                                const char    *html)
{
  g_autofree char *document = g_strconcat (document_head, html != NULL ? html : "",
                                           document_tail, NULL);

  webkit_web_view_load_html (view, document, "about:blank");
}

char *
pigeon_composer_body_plain_to_html (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);
  GString *out = g_string_new (NULL);
  gboolean quoting = FALSE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      gboolean quoted = line[0] == '>';
      g_autofree char *escaped = NULL;

      if (quoted)
        line += line[1] == ' ' ? 2 : 1;
      if (quoted != quoting)
        g_string_append (out, quoted ? "<blockquote>" : "</blockquote>");
      quoting = quoted;
      escaped = g_markup_escape_text (line, -1);
      g_string_append_printf (out, "<div>%s</div>", *escaped != '\0' ? escaped : "<br>");
    }
  if (quoting)
    g_string_append (out, "</blockquote>");
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------ reading it back */

typedef struct
{
  char *html;
  char *text;
} Read;

static void
read_free (gpointer data)
{
  Read *r = data;

  g_free (r->html);
  g_free (r->text);
  g_free (r);
}

static char *
evaluate_finish (WebKitWebView  *view,
                 GAsyncResult   *result,
                 GError        **error)
{
  g_autoptr(JSCValue) value = webkit_web_view_evaluate_javascript_finish (view, result, error);

  if (value == NULL)
    return NULL;
  return jsc_value_to_string (value);
}

static void
text_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Read *r = g_task_get_task_data (task);
  GError *error = NULL;

  r->text = evaluate_finish (WEBKIT_WEB_VIEW (source), result, &error);
  if (r->text == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
html_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Read *r = g_task_get_task_data (task);
  GError *error = NULL;

  r->html = evaluate_finish (WEBKIT_WEB_VIEW (source), result, &error);
  if (r->html == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  webkit_web_view_evaluate_javascript (WEBKIT_WEB_VIEW (source), "document.body.innerText", -1,
                                       NULL, NULL, g_task_get_cancellable (task), text_read_cb,
                                       g_object_ref (task));
}

void
pigeon_composer_body_read_async (WebKitWebView       *view,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task = g_task_new (view, cancellable, callback, user_data);

  g_task_set_source_tag (task, pigeon_composer_body_read_async);
  g_task_set_task_data (task, g_new0 (Read, 1), read_free);
  webkit_web_view_evaluate_javascript (view, "document.body.innerHTML", -1, NULL, NULL,
                                       cancellable, html_read_cb, task);
}

gboolean
pigeon_composer_body_read_finish (WebKitWebView  *view,
                                  GAsyncResult   *result,
                                  char          **html,
                                  char          **text,
                                  GError        **error)
{
  Read *r;

  g_return_val_if_fail (g_task_is_valid (result, view), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  r = g_task_get_task_data (G_TASK (result));
  *html = g_steal_pointer (&r->html);
  *text = g_steal_pointer (&r->text);
  return TRUE;
}

/* ------------------------------------------------------------------ the forgotten file */

gboolean
pigeon_composer_body_mentions_attachment (const char *text)
{
  /* Translators: words that, in a message, promise an attachment; separated by ";".  They
   * are matched as the start of a word, case-insensitively, besides the English ones. */
  g_auto(GStrv) words = g_strsplit (_("attach;enclose"), ";", -1);
  static const char *english[] = { "attach", "enclose" };
  g_auto(GStrv) lines = NULL;

  if (text == NULL)
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *folded = NULL;

      /* What is quoted was written by someone else; the signature is always the same. */
      if (lines[i][0] == '>')
        continue;
      if (g_str_equal (lines[i], "-- ") || g_str_equal (lines[i], "--"))
        break;
      folded = g_utf8_casefold (lines[i], -1);
      for (const char *p = folded; *p; p = g_utf8_next_char (p))
        {
          if (p != folded && g_unichar_isalnum (g_utf8_get_char (g_utf8_prev_char (p))))
            continue;
          for (guint w = 0; words[w] != NULL; w++)
            {
              g_autofree char *word = g_utf8_casefold (words[w], -1);

              if (*word != '\0' && g_str_has_prefix (p, word))
                return TRUE;
            }
          for (guint w = 0; w < G_N_ELEMENTS (english); w++)
            if (g_str_has_prefix (p, english[w]))
              return TRUE;
        }
    }
  return FALSE;
}
