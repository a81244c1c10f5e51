/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-provider"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "pigeon-error.h"
#include "pigeon-mime.h"
#include "pigeon-provider.h"
#include "pigeon-store-list.h"

typedef struct
{
  PigeonAccount *account;
  PigeonStore *store;
  char *password;
  GMainContext *context;
  PigeonSendCheckpointFunc checkpoint;
  gpointer checkpoint_data;
} PigeonProviderPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (PigeonProvider, pigeon_provider, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ACCOUNT,
  PROP_STORE,
  N_PROPS
};

enum {
  SIGNAL_PROGRESS,
  SIGNAL_QUOTA,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
wipe_password (PigeonProviderPrivate *priv)
{
  if (priv->password != NULL)
    {
      explicit_bzero (priv->password, strlen (priv->password));
      g_clear_pointer (&priv->password, g_free);
    }
}

static void
pigeon_provider_finalize (GObject *object)
{
  PigeonProvider *self = (PigeonProvider *) object;
  PigeonProviderPrivate *priv = pigeon_provider_get_instance_private (self);

  wipe_password (priv);
  g_clear_object (&priv->account);
  g_clear_object (&priv->store);
  g_clear_pointer (&priv->context, g_main_context_unref);

  G_OBJECT_CLASS (pigeon_provider_parent_class)->finalize (object);
}

static void
pigeon_provider_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PigeonProvider *self = PIGEON_PROVIDER (object);
  PigeonProviderPrivate *priv = pigeon_provider_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_set_object (value, priv->account);
      break;
    case PROP_STORE:
      g_value_set_object (value, priv->store);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pigeon_provider_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  PigeonProvider *self = PIGEON_PROVIDER (object);
  PigeonProviderPrivate *priv = pigeon_provider_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      priv->account = g_value_dup_object (value);
      break;
    case PROP_STORE:
      priv->store = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pigeon_provider_class_init (PigeonProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pigeon_provider_finalize;
  object_class->get_property = pigeon_provider_get_property;
  object_class->set_property = pigeon_provider_set_property;

  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL, PIGEON_TYPE_ACCOUNT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, PIGEON_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* ::progress (folder name, done, total) and ::quota (used, limit), on the main context
   * the provider was created in. */
  signals[SIGNAL_PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_UINT);
  signals[SIGNAL_QUOTA] =
    g_signal_new ("quota", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_UINT64);
}

static void
pigeon_provider_init (PigeonProvider *self)
{
  PigeonProviderPrivate *priv = pigeon_provider_get_instance_private (self);

  priv->context = g_main_context_ref_thread_default ();
}

/* ------------------------------------------------------------------ registry */

static GIOExtensionPoint *
ensure_extension_point (void)
{
  static GIOExtensionPoint *point;

  if (g_once_init_enter (&point))
    {
      GIOExtensionPoint *p = g_io_extension_point_register (PIGEON_PROVIDER_EXTENSION_POINT_NAME);
      g_io_extension_point_set_required_type (p, PIGEON_TYPE_PROVIDER);
      g_once_init_leave (&point, p);
    }
  return point;
}

void
pigeon_provider_register_type (GType       type,
                               const char *protocol)
{
  g_return_if_fail (g_type_is_a (type, PIGEON_TYPE_PROVIDER));
  g_return_if_fail (protocol != NULL);

  ensure_extension_point ();
  g_io_extension_point_implement (PIGEON_PROVIDER_EXTENSION_POINT_NAME, type, protocol, 0);
}

PigeonProviderClass *
pigeon_provider_class_lookup (const char *protocol)
{
  GIOExtension *extension;

  g_return_val_if_fail (protocol != NULL, NULL);

  extension = g_io_extension_point_get_extension_by_name (ensure_extension_point (), protocol);
  if (extension == NULL)
    return NULL;
  return PIGEON_PROVIDER_CLASS (g_io_extension_ref_class (extension));
}

PigeonProviderClass *
pigeon_provider_class_lookup_config_name (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  for (GList *l = g_io_extension_point_get_extensions (ensure_extension_point ()); l; l = l->next)
    {
      PigeonProviderClass *klass = PIGEON_PROVIDER_CLASS (g_io_extension_ref_class (l->data));
      gboolean match = g_ascii_strcasecmp (g_io_extension_get_name (l->data), name) == 0;

      for (guint i = 0; !match && klass->config_names && klass->config_names[i]; i++)
        match = g_ascii_strcasecmp (klass->config_names[i], name) == 0;
      /* Registered classes are never unloaded: the reference is the registry's. */
      g_type_class_unref (klass);
      if (match)
        return klass;
    }
  return NULL;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

char **
pigeon_provider_list_protocols (PigeonProviderCaps required_caps)
{
  GPtrArray *out = g_ptr_array_new ();

  for (GList *l = g_io_extension_point_get_extensions (ensure_extension_point ()); l; l = l->next)
    {
      GIOExtension *extension = l->data;
      g_autoptr(GTypeClass) klass = g_io_extension_ref_class (extension);

      if ((PIGEON_PROVIDER_CLASS (klass)->caps & required_caps) == required_caps)
        g_ptr_array_add (out, g_strdup (g_io_extension_get_name (extension)));
    }
  g_ptr_array_sort (out, compare_strings);
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

PigeonProvider *
pigeon_provider_new (const char     *protocol,
                     PigeonAccount  *account,
                     PigeonStore    *store,
                     GError        **error)
{
  GIOExtension *extension;

  g_return_val_if_fail (PIGEON_IS_ACCOUNT (account), NULL);

  extension = protocol ? g_io_extension_point_get_extension_by_name (ensure_extension_point (),
                                                                     protocol)
                       : NULL;
  if (extension == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED,
                   _("This version of Pigeon cannot use the protocol “%s”"),
                   protocol ? protocol : "");
      return NULL;
    }
  return g_object_new (g_io_extension_get_type (extension),
                       "account", account,
                       "store", store,
                       NULL);
}

PigeonProvider *
pigeon_provider_new_for_account (PigeonAccount  *account,
                                 PigeonStore    *store,
                                 GError        **error)
{
  g_return_val_if_fail (PIGEON_IS_ACCOUNT (account), NULL);

  return pigeon_provider_new (pigeon_account_get_protocol (account), account, store, error);
}

PigeonProvider *
pigeon_provider_new_for_sending (PigeonAccount  *account,
                                 PigeonStore    *store,
                                 GError        **error)
{
  PigeonProviderClass *klass;
  g_auto(GStrv) senders = NULL;

  g_return_val_if_fail (PIGEON_IS_ACCOUNT (account), NULL);

  klass = pigeon_provider_class_lookup (pigeon_account_get_protocol (account));
  if (klass != NULL && (klass->caps & PIGEON_PROVIDER_CAP_SEND) != 0)
    return pigeon_provider_new_for_account (account, store, error);

  if (!pigeon_account_has_smtp (account))
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("The account %s has no outgoing server. Add one in the account settings."),
                   pigeon_account_get_email (account));
      return NULL;
    }
  senders = pigeon_provider_list_protocols (PIGEON_PROVIDER_CAP_SEND |
                                            PIGEON_PROVIDER_CAP_OUTGOING_SETTINGS);
  if (senders[0] == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED,
                   _("This version of Pigeon cannot send mail through an outgoing server"));
      return NULL;
    }
  return pigeon_provider_new (senders[0], account, store, error);
}

/* ------------------------------------------------------------------ accessors */

PigeonAccount *
pigeon_provider_get_account (PigeonProvider *self)
{
  PigeonProviderPrivate *priv = pigeon_provider_get_instance_private (self);

  g_return_val_if_fail (PIGEON_IS_PROVIDER (self), NULL);
  return priv->account;
}

PigeonStore *
pigeon_provider_get_store (PigeonProvider *self)
{
  PigeonProviderPrivate *priv = pigeon_provider_get_instance_private (self);

  g_return_val_if_fail (PIGEON_IS_PROVIDER (self), NULL);
  return priv->store;
}

PigeonProviderCaps
pigeon_provider_get_caps (PigeonProvider *self)
{
  g_return_val_if_fail (PIGEON_IS_PROVIDER (self), 0);
  return PIGEON_PROVIDER_GET_CLASS (self)->caps;
}

const char *
pigeon_provider_get_protocol (PigeonProvider *self)
{
  g_return_val_if_fail (PIGEON_IS_PROVIDER (self), NULL);
  return PIGEON_PROVIDER_GET_CLASS (self)->protocol;
}

static gboolean
uses_outgoing (PigeonProvider *self)
{
  return (pigeon_provider_get_caps (self) & PIGEON_PROVIDER_CAP_OUTGOING_SETTINGS) != 0;
}

PigeonSecretRole
pigeon_provider_get_secret_role (PigeonProvider *self)
{
  return uses_outgoing (self) ? PIGEON_SECRET_ROLE_OUTGOING : PIGEON_SECRET_ROLE_INCOMING;
}

void
pigeon_provider_set_password (PigeonProvider *self,
                              const char     *password)
{
  PigeonProviderPrivate *priv = pigeon_provider_get_instance_private (self);

  g_return_if_fail (PIGEON_IS_PROVIDER (self));

  wipe_password (priv);
  priv->password = g_strdup (password);
}

const char *
pigeon_provider_get_password (PigeonProvider *self)
{
  PigeonProviderPrivate *priv = pigeon_provider_get_instance_private (self);

  g_return_val_if_fail (PIGEON_IS_PROVIDER (self), NULL);
  return priv->password;
}

gboolean
pigeon_provider_load_password (PigeonProvider *self,
                               GCancellable   *cancellable,
                               GError        **error)
{
  PigeonProviderPrivate *priv = pigeon_provider_get_instance_private (self);
  const char *id;
  char *password;

  g_return_val_if_fail (PIGEON_IS_PROVIDER (self), FALSE);

  id = pigeon_account_get_id (priv->account);
  password = pigeon_secrets_lookup_sync (id, pigeon_provider_get_secret_role (self),
                                         cancellable, error);
  if (password == NULL && error != NULL && *error != NULL)
    return FALSE;
  if (password == NULL && uses_outgoing (self))
    {
      password = pigeon_secrets_lookup_sync (id, PIGEON_SECRET_ROLE_INCOMING, cancellable, error);
      if (password == NULL && error != NULL && *error != NULL)
        return FALSE;
    }
  if (password == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NO_PASSWORD,
                   _("There is no password for %s in the keyring. Enter it in the account "
                     "settings."), pigeon_account_get_email (priv->account));
      return FALSE;
    }
  pigeon_provider_set_password (self, password);
  pigeon_secrets_free (password);
  return TRUE;
}

const char *
pigeon_provider_get_host (PigeonProvider *self)
{
  PigeonProviderPrivate *priv = pigeon_provider_get_instance_private (self);

  return uses_outgoing (self) ? pigeon_account_get_smtp_host (priv->account)
                              : pigeon_account_get_host (priv->account);
}

PigeonSecurity
pigeon_provider_get_security (PigeonProvider *self)
{
  PigeonProviderPrivate *priv = pigeon_provider_get_instance_private (self);

  return uses_outgoing (self) ? pigeon_account_get_smtp_security (priv->account)
                              : pigeon_account_get_security (priv->account);
}

guint16
pigeon_provider_get_port (PigeonProvider *self)
{
  PigeonProviderPrivate *priv = pigeon_provider_get_instance_private (self);
  PigeonProviderClass *klass = PIGEON_PROVIDER_GET_CLASS (self);
  guint port;

  port = uses_outgoing (self) ? pigeon_account_get_smtp_port (priv->account)
                              : pigeon_account_get_port (priv->account);
  if (port != 0)
    return port;
  return pigeon_provider_get_security (self) == PIGEON_SECURITY_TLS ? klass->default_port_tls
                                                                    : klass->default_port_plain;
}

const char *
pigeon_provider_get_login (PigeonProvider *self)
{
  PigeonProviderPrivate *priv = pigeon_provider_get_instance_private (self);

  return uses_outgoing (self) ? pigeon_account_get_smtp_login (priv->account)
                              : pigeon_account_get_login (priv->account);
}

const char *
pigeon_provider_get_pinned_certificate (PigeonProvider *self)
{
  PigeonProviderPrivate *priv = pigeon_provider_get_instance_private (self);

  return uses_outgoing (self) ? pigeon_account_get_smtp_trusted_certificate (priv->account)
                              : pigeon_account_get_trusted_certificate (priv->account);
}

/* ------------------------------------------------------------------ reports */

typedef struct
{
  PigeonProvider *provider;
  char *folder;
  guint done;
  guint total;
  guint64 used;
  guint64 limit;
  gboolean quota;
} Report;

static gboolean
emit_report_cb (gpointer user_data)
{
  Report *report = user_data;

  if (report->quota)
    g_signal_emit (report->provider, signals[SIGNAL_QUOTA], 0, report->used, report->limit);
  else
    g_signal_emit (report->provider, signals[SIGNAL_PROGRESS], 0, report->folder, report->done,
                   report->total);
  return G_SOURCE_REMOVE;
}

static void
report_free (gpointer user_data)
{
  Report *report = user_data;

  g_object_unref (report->provider);
  g_free (report->folder);
  g_free (report);
}

static void
dispatch_report (PigeonProvider *self,
                 Report         *report)
{
  PigeonProviderPrivate *priv = pigeon_provider_get_instance_private (self);

  report->provider = g_object_ref (self);
  g_main_context_invoke_full (priv->context, G_PRIORITY_DEFAULT, emit_report_cb, report,
                              report_free);
}

void
pigeon_provider_report_progress (PigeonProvider *self,
                                 const char     *folder_name,
                                 guint           done,
                                 guint           total)
{
  Report *report = g_new0 (Report, 1);

  g_return_if_fail (PIGEON_IS_PROVIDER (self));

  report->folder = g_strdup (folder_name);
  report->done = done;
  report->total = total;
  dispatch_report (self, report);
}

void
pigeon_provider_report_quota (PigeonProvider *self,
                              guint64         used_bytes,
                              guint64         limit_bytes)
{
  Report *report = g_new0 (Report, 1);

  g_return_if_fail (PIGEON_IS_PROVIDER (self));

  report->quota = TRUE;
  report->used = used_bytes;
  report->limit = limit_bytes;
  dispatch_report (self, report);
}

/* ------------------------------------------------------------------ entry points */

static gboolean
unsupported (PigeonProvider *self,
             GError        **error)
{
  g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED,
               _("%s accounts cannot do this"), PIGEON_PROVIDER_GET_CLASS (self)->display_name);
  return FALSE;
}

gboolean
pigeon_provider_connect (PigeonProvider *self,
                         GCancellable   *cancellable,
                         GError        **error)
{
  PigeonProviderClass *klass;

  g_return_val_if_fail (PIGEON_IS_PROVIDER (self), FALSE);

  klass = PIGEON_PROVIDER_GET_CLASS (self);
  if (klass->connect == NULL)
    return unsupported (self, error);
  if (pigeon_provider_get_password (self) == NULL &&
      !pigeon_provider_load_password (self, cancellable, error))
    return FALSE;
  return klass->connect (self, cancellable, error);
}

void
pigeon_provider_disconnect (PigeonProvider *self)
{
  g_return_if_fail (PIGEON_IS_PROVIDER (self));

  if (PIGEON_PROVIDER_GET_CLASS (self)->disconnect != NULL)
    PIGEON_PROVIDER_GET_CLASS (self)->disconnect (self);
}

gboolean
pigeon_provider_sync_folders (PigeonProvider *self,
                              GCancellable   *cancellable,
                              GError        **error)
{
  g_return_val_if_fail (PIGEON_IS_PROVIDER (self), FALSE);

  if (PIGEON_PROVIDER_GET_CLASS (self)->sync_folders == NULL)
    return unsupported (self, error);
  return PIGEON_PROVIDER_GET_CLASS (self)->sync_folders (self, cancellable, error);
}

gboolean
pigeon_provider_sync_folder (PigeonProvider *self,
                             gint64          folder_id,
                             PigeonSyncFlags flags,
                             GCancellable   *cancellable,
                             GError        **error)
{
  g_return_val_if_fail (PIGEON_IS_PROVIDER (self), FALSE);

  if (PIGEON_PROVIDER_GET_CLASS (self)->sync_folder == NULL)
    return unsupported (self, error);
  return PIGEON_PROVIDER_GET_CLASS (self)->sync_folder (self, folder_id, flags, cancellable,
                                                        error);
}

gboolean
pigeon_provider_fetch_body (PigeonProvider *self,
                            gint64          message_id,
                            GCancellable   *cancellable,
                            GError        **error)
{
  g_return_val_if_fail (PIGEON_IS_PROVIDER (self), FALSE);

  if (PIGEON_PROVIDER_GET_CLASS (self)->fetch_body == NULL)
    return unsupported (self, error);
  return PIGEON_PROVIDER_GET_CLASS (self)->fetch_body (self, message_id, cancellable, error);
}

gboolean
pigeon_provider_apply_op (PigeonProvider        *self,
                          const PigeonPendingOp *op,
                          GCancellable          *cancellable,
                          GError               **error)
{
  g_return_val_if_fail (PIGEON_IS_PROVIDER (self), FALSE);
  g_return_val_if_fail (op != NULL, FALSE);

  if (PIGEON_PROVIDER_GET_CLASS (self)->apply_op == NULL)
    return unsupported (self, error);
  return PIGEON_PROVIDER_GET_CLASS (self)->apply_op (self, op, cancellable, error);
}

gboolean
pigeon_provider_send (PigeonProvider      *self,
                      GBytes              *message,
                      const char          *from,
                      const char * const  *recipients,
                      GPtrArray           *rejected,
                      GCancellable        *cancellable,
                      GError             **error)
{
  g_return_val_if_fail (PIGEON_IS_PROVIDER (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (recipients != NULL && recipients[0] != NULL, FALSE);

  if (PIGEON_PROVIDER_GET_CLASS (self)->send == NULL)
    return unsupported (self, error);
  return PIGEON_PROVIDER_GET_CLASS (self)->send (self, message, from, recipients, rejected,
                                                 cancellable, error);
}

void
pigeon_provider_set_send_checkpoint (PigeonProvider           *self,
                                     PigeonSendCheckpointFunc  func,
                                     gpointer                  user_data)
{
  PigeonProviderPrivate *priv = pigeon_provider_get_instance_private (self);

  g_return_if_fail (PIGEON_IS_PROVIDER (self));

  priv->checkpoint = func;
  priv->checkpoint_data = user_data;
}

gboolean
pigeon_provider_send_checkpoint (PigeonProvider  *self,
                                 GError         **error)
{
  PigeonProviderPrivate *priv = pigeon_provider_get_instance_private (self);

  g_return_val_if_fail (PIGEON_IS_PROVIDER (self), FALSE);

  if (priv->checkpoint == NULL)
    return TRUE;
  return priv->checkpoint (self, priv->checkpoint_data, error);
}

gboolean
pigeon_provider_wait_for_changes (PigeonProvider *self,
                                  guint           timeout_seconds,
                                  GCancellable   *cancellable,
                                  GError        **error)
{
  g_return_val_if_fail (PIGEON_IS_PROVIDER (self), FALSE);

  if (PIGEON_PROVIDER_GET_CLASS (self)->wait_for_changes == NULL)
    return unsupported (self, error);
  return PIGEON_PROVIDER_GET_CLASS (self)->wait_for_changes (self, timeout_seconds, cancellable,
                                                             error);
}

void
pigeon_provider_take_changes (PigeonProvider *self,
                              GArray         *folder_ids,
                              gboolean       *elsewhere)
{
  g_return_if_fail (PIGEON_IS_PROVIDER (self));
  g_return_if_fail (folder_ids != NULL && elsewhere != NULL);

  *elsewhere = FALSE;
  if (PIGEON_PROVIDER_GET_CLASS (self)->take_changes != NULL)
    PIGEON_PROVIDER_GET_CLASS (self)->take_changes (self, folder_ids, elsewhere);
}

static int
newest_first (gconstpointer a,
              gconstpointer b)
{
  const PigeonMessage *x = *(PigeonMessage * const *) a;
  const PigeonMessage *y = *(PigeonMessage * const *) b;

  if (x->date != y->date)
    return x->date > y->date ? -1 : 1;
  return x->id > y->id ? -1 : x->id < y->id;
}

gboolean
pigeon_provider_search (PigeonProvider *self,
                        const char     *query,
                        gint64          folder_id,
                        GArray         *message_ids,
                        GCancellable   *cancellable,
                        GError        **error)
{
  PigeonProviderClass *klass;
  g_autoptr(GArray) hits = NULL;
  g_autoptr(GHashTable) seen = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GArray) unique = NULL;
  g_autofree char *trimmed = NULL;

  g_return_val_if_fail (PIGEON_IS_PROVIDER (self), FALSE);
  g_return_val_if_fail (query != NULL, FALSE);
  g_return_val_if_fail (message_ids != NULL, FALSE);

  klass = PIGEON_PROVIDER_GET_CLASS (self);
  if (klass->search == NULL || (klass->caps & PIGEON_PROVIDER_CAP_SERVER_SEARCH) == 0)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_UNSUPPORTED,
                   _("%s accounts cannot search on the server; only the messages on this "
                     "computer can be searched."), klass->display_name);
      return FALSE;
    }
  trimmed = g_strstrip (g_strdup (query));
  if (*trimmed == '\0')
    return TRUE;

  hits = g_array_new (FALSE, FALSE, sizeof (gint64));
  if (!klass->search (self, trimmed, folder_id, hits, cancellable, error))
    return FALSE;

  /* Each hit once, in the order of the store's lists: newest first. */
  seen = g_hash_table_new (g_int64_hash, g_int64_equal);
  unique = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < hits->len; i++)
    {
      gint64 *id = &g_array_index (hits, gint64, i);

      if (*id > 0 && g_hash_table_add (seen, id))
        g_array_append_val (unique, *id);
    }
  if (unique->len == 0)
    return TRUE;
  messages = pigeon_store_get_messages (pigeon_provider_get_store (self),
                                        (const gint64 *) (gpointer) unique->data, unique->len,
                                        error);
  if (messages == NULL)
    return FALSE;
  g_ptr_array_sort (messages, newest_first);
  for (guint i = 0; i < messages->len; i++)
    g_array_append_val (message_ids, ((PigeonMessage *) g_ptr_array_index (messages, i))->id);
  return TRUE;
}

/* An operation the server keeps refusing for reasons other than the network is dropped
 * after this many tries, so one bad operation cannot block the queue forever. */
#define MAX_OP_ATTEMPTS 5

/* Two replays of one account at once (the window's and pigeonctl's, or two lanes) would
 * both send an operation the server then applies twice: an APPEND would leave two copies.
 * A lock file beside the store serializes them across processes and threads (each call
 * opens its own descriptor, so flock() excludes within a process too). */
static int
lock_replay (PigeonStore   *store,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autofree char *dir = g_path_get_dirname (pigeon_store_get_path (store));
  g_autofree char *path = g_build_filename (dir, "replay.lock", NULL);
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE,
                   _("Could not open %s: %s"), path, g_strerror (saved));
      return -1;
    }
  while (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      if (errno != EWOULDBLOCK && errno != EINTR)
        {
          int saved = errno;
          close (fd);
          g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_STORAGE,
                       _("Could not lock %s: %s"), path, g_strerror (saved));
          return -1;
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          close (fd);
          return -1;
        }
      g_usleep (20 * G_TIME_SPAN_MILLISECOND);
    }
  return fd;
}

static gboolean replay_locked (PigeonProvider *self,
                               PigeonStore    *store,
                               GCancellable   *cancellable,
                               GError        **error);

gboolean
pigeon_provider_replay_pending_ops (PigeonProvider *self,
                                    GCancellable   *cancellable,
                                    GError        **error)
{
  PigeonStore *store;
  gboolean ok;
  int fd;

  g_return_val_if_fail (PIGEON_IS_PROVIDER (self), FALSE);

  store = pigeon_provider_get_store (self);
  fd = lock_replay (store, cancellable, error);
  if (fd < 0)
    return FALSE;
  ok = replay_locked (self, store, cancellable, error);
  close (fd);   /* releases the lock */
  return ok;
}

static gboolean
replay_locked (PigeonProvider *self,
               PigeonStore    *store,
               GCancellable   *cancellable,
               GError        **error)
{
  g_autoptr(GPtrArray) ops = NULL;

  ops = pigeon_store_list_pending_ops (store, error);
  if (ops == NULL)
    return FALSE;

  for (guint i = 0; i < ops->len; i++)
    {
      g_autoptr(PigeonPendingOp) op = NULL;
      g_autoptr(GError) op_error = NULL;
      g_autoptr(GError) read_error = NULL;

      /* Re-read it: an earlier replay (a move learning the new UID) or a folder reset may
       * have changed or dropped it since the list was taken. */
      op = pigeon_store_get_pending_op (store, ((PigeonPendingOp *) g_ptr_array_index (ops, i))->id,
                                        &read_error);
      if (op == NULL)
        {
          if (read_error != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&read_error));
              return FALSE;
            }
          continue;
        }

      if (pigeon_provider_apply_op (self, op, cancellable, &op_error))
        {
          if (!pigeon_store_complete_pending_op (store, op->id, error))
            return FALSE;
          continue;
        }
      if (g_error_matches (op_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          pigeon_error_is_transient (op_error))
        {
          g_propagate_error (error, g_steal_pointer (&op_error));
          return FALSE;
        }
      if (op->attempts + 1 >= MAX_OP_ATTEMPTS)
        {
          g_message ("Dropping queued %s after %u attempts: %s",
                     pigeon_op_kind_to_string (op->kind), op->attempts + 1, op_error->message);
          if (!pigeon_store_complete_pending_op (store, op->id, error))
            return FALSE;
        }
      else
        {
          g_message ("Queued %s failed (attempt %u), will retry: %s",
                     pigeon_op_kind_to_string (op->kind), op->attempts + 1, op_error->message);
          if (!pigeon_store_retry_pending_op (store, op->id, error))
            return FALSE;
          /* Later operations may depend on this one (a move after a flag change): stop. */
          g_propagate_error (error, g_steal_pointer (&op_error));
          return FALSE;
        }
    }
  return TRUE;
}

static void
check_login_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  PigeonProvider *self = source_object;
  GError *error = NULL;

  if (!pigeon_provider_connect (self, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  pigeon_provider_disconnect (self);
  g_task_return_boolean (task, TRUE);
}

void
pigeon_provider_check_login_async (PigeonProvider      *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (PIGEON_IS_PROVIDER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pigeon_provider_check_login_async);
  g_task_run_in_thread (task, check_login_thread);
}

gboolean
pigeon_provider_check_login_finish (PigeonProvider *self,
                                    GAsyncResult   *result,
                                    GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------ attachments on demand */

gboolean
pigeon_provider_parse_placeholder (GMimeObject  *part,
                                   char        **out_reference,
                                   guint64      *out_size,
                                   GMimeObject **out_real)
{
  GMimeContentType *type;
  const char *access, *reference, *size;

  g_return_val_if_fail (GMIME_IS_OBJECT (part), FALSE);

  type = g_mime_object_get_content_type (part);
  if (!GMIME_IS_PART (part) || type == NULL ||
      !g_mime_content_type_is_type (type, "message", "external-body"))
    return FALSE;
  access = g_mime_content_type_get_parameter (type, "access-type");
  reference = g_mime_content_type_get_parameter (type, "reference");
  if (access == NULL || g_ascii_strcasecmp (access, PIGEON_PROVIDER_EXTERNAL_ACCESS_TYPE) != 0 ||
      reference == NULL || *reference == '\0')
    return FALSE;
  size = g_mime_content_type_get_parameter (type, "size");
  if (out_reference != NULL)
    *out_reference = g_strdup (reference);
  if (out_size != NULL)
    *out_size = size != NULL ? g_ascii_strtoull (size, NULL, 10) : 0;
  if (out_real != NULL)
    {
      /* The real part's headers are the placeholder's content (RFC 2046 5.2.3). */
      GMimeDataWrapper *content = g_mime_part_get_content (GMIME_PART (part));
      g_autoptr(GMimeStream) stream = g_mime_stream_mem_new ();
      g_autoptr(GMimeParser) parser = NULL;
      GMimeObject *real = NULL;
      GMimeContentDisposition *disposition = g_mime_object_get_content_disposition (part);

      if (content != NULL)
        {
          g_mime_data_wrapper_write_to_stream (content, stream);
          g_mime_stream_reset (stream);
          parser = g_mime_parser_new_with_stream (stream);
          real = g_mime_parser_construct_part (parser, NULL);
        }
      if (real == NULL || !GMIME_IS_PART (real))
        {
          g_clear_object (&real);
          real = GMIME_OBJECT (g_mime_part_new_with_type ("application", "octet-stream"));
        }
      if (disposition != NULL)
        g_mime_object_set_content_disposition (real, disposition);
      *out_real = real;
    }
  return TRUE;
}

typedef struct
{
  gint64 message_id;
  const char *reference;
  const char *content_type;
  GBytes *content;
} StoreAttachment;

/* The placeholder for REFERENCE under OBJECT: its parent multipart (NULL at the top) and
 * its index there. */
static GMimeObject *
find_placeholder (GMimeObject     *object,
                  const char      *reference,
                  GMimeMultipart **out_parent,
                  int             *out_index)
{
  if (GMIME_IS_MULTIPART (object))
    {
      GMimeMultipart *multipart = GMIME_MULTIPART (object);

      for (int i = 0; i < g_mime_multipart_get_count (multipart); i++)
        {
          GMimeObject *child = g_mime_multipart_get_part (multipart, i);
          GMimeObject *found;

          if (GMIME_IS_MULTIPART (child))
            {
              found = find_placeholder (child, reference, out_parent, out_index);
              if (found != NULL)
                return found;
              continue;
            }
          found = find_placeholder (child, reference, NULL, NULL);
          if (found != NULL)
            {
              *out_parent = multipart;
              *out_index = i;
              return found;
            }
        }
      return NULL;
    }
  {
    g_autofree char *ref = NULL;

    if (pigeon_provider_parse_placeholder (object, &ref, NULL, NULL) &&
        g_strcmp0 (ref, reference) == 0)
      return object;
  }
  return NULL;
}

static GMimePart *
real_part (GMimeObject *placeholder,
           const char  *content_type,
           GBytes      *content)
{
  GMimeObject *headers = NULL;
  g_autoptr(GMimeStream) stream = NULL;
  g_autoptr(GMimeDataWrapper) wrapper = NULL;
  GMimeContentType *type = NULL;
  GMimePart *part;
  const char *cid;

  pigeon_provider_parse_placeholder (placeholder, NULL, NULL, &headers);
  if (content_type != NULL)
    type = g_mime_content_type_parse (NULL, content_type);
  if (type == NULL || g_mime_content_type_get_media_type (type) == NULL)
    {
      g_clear_object (&type);
      type = g_object_ref (g_mime_object_get_content_type (headers));
    }
  part = g_mime_part_new_with_type (g_mime_content_type_get_media_type (type),
                                    g_mime_content_type_get_media_subtype (type));
  g_mime_object_set_content_disposition (GMIME_OBJECT (part),
                                         g_mime_object_get_content_disposition (headers));
  cid = g_mime_part_get_content_id (GMIME_PART (headers));
  if (cid != NULL)
    g_mime_part_set_content_id (part, cid);
  stream = g_mime_stream_mem_new_with_buffer (g_bytes_get_data (content, NULL),
                                              g_bytes_get_size (content));
  wrapper = g_mime_data_wrapper_new_with_stream (stream, GMIME_CONTENT_ENCODING_DEFAULT);
  g_mime_part_set_content (part, wrapper);
  g_mime_part_set_content_encoding (part, GMIME_CONTENT_ENCODING_BASE64);
  g_object_unref (type);
  g_object_unref (headers);
  return part;
}

static gboolean
store_attachment_cb (PigeonStore  *store,
                     sqlite3      *db,
                     gpointer      data,
                     GError      **error)
{
  StoreAttachment *sa = data;
  sqlite3_stmt *stmt = NULL;
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GMimeMessage) message = NULL;
  g_autoptr(GMimeStream) out = NULL;
  g_autoptr(GMimePart) part = NULL;
  GMimeMultipart *parent = NULL;
  GMimeObject *placeholder;
  GByteArray *array;
  int index = 0;
  int rc;

  rc = sqlite3_prepare_v2 (db, "SELECT raw FROM bodies WHERE message_id = ?", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, sa->message_id);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        raw = g_bytes_new (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      pigeon_store_set_sqlite_error (store, db, rc, error);
      return FALSE;
    }
  message = raw != NULL ? pigeon_mime_parse (raw, NULL) : NULL;
  placeholder = message != NULL ? g_mime_message_get_mime_part (message) : NULL;
  if (placeholder != NULL)
    placeholder = find_placeholder (placeholder, sa->reference, &parent, &index);
  if (placeholder == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_NOT_FOUND,
                   _("The message on this computer no longer has this attachment to "
                     "download."));
      return FALSE;
    }

  part = real_part (placeholder, sa->content_type, sa->content);
  if (parent != NULL)
    {
      GMimeObject *old = g_mime_multipart_replace (parent, index, GMIME_OBJECT (part));

      g_clear_object (&old);
    }
  else
    g_mime_message_set_mime_part (message, GMIME_OBJECT (part));

  out = g_mime_stream_mem_new ();
  g_mime_object_write_to_stream (GMIME_OBJECT (message), NULL, out);
  array = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (out));
  rc = sqlite3_prepare_v2 (db, "UPDATE bodies SET raw = ? WHERE message_id = ?", -1, &stmt,
                           NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_blob64 (stmt, 1, array->data, array->len, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, sa->message_id);
      rc = sqlite3_step (stmt);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      pigeon_store_set_sqlite_error (store, db, rc, error);
      return FALSE;
    }
  return TRUE;
}

gboolean
pigeon_provider_store_attachment (PigeonStore  *store,
                                  gint64        message_id,
                                  const char   *reference,
                                  const char   *content_type,
                                  GBytes       *content,
                                  GError      **error)
{
  StoreAttachment sa = { message_id, reference, content_type, content };

  g_return_val_if_fail (PIGEON_IS_STORE (store), FALSE);
  g_return_val_if_fail (reference != NULL, FALSE);
  g_return_val_if_fail (content != NULL, FALSE);

  return pigeon_store_run_write (store, store_attachment_cb, &sa, error);
}

GBytes *
pigeon_provider_fetch_attachment (PigeonProvider *self,
                                  gint64          message_id,
                                  const char     *reference,
                                  GCancellable   *cancellable,
                                  GError        **error)
{
  PigeonProviderClass *klass;
  g_autoptr(GBytes) content = NULL;
  g_autofree char *content_type = NULL;

  g_return_val_if_fail (PIGEON_IS_PROVIDER (self), NULL);
  g_return_val_if_fail (reference != NULL, NULL);

  klass = PIGEON_PROVIDER_GET_CLASS (self);
  if (klass->fetch_attachment == NULL)
    {
      unsupported (self, error);
      return NULL;
    }
  content = klass->fetch_attachment (self, message_id, reference, &content_type, cancellable,
                                     error);
  if (content == NULL)
    return NULL;
  if (g_bytes_get_size (content) > PIGEON_PROVIDER_MAX_ATTACHMENT_SIZE)
    {
      g_autofree char *limit = g_format_size (PIGEON_PROVIDER_MAX_ATTACHMENT_SIZE);

      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_TOO_BIG,
                   _("The attachment is larger than Pigeon can download (%s)."), limit);
      return NULL;
    }
  if (!pigeon_provider_store_attachment (pigeon_provider_get_store (self), message_id,
                                         reference, content_type, content, error))
    return NULL;
  return g_steal_pointer (&content);
}
