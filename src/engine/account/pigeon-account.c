/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-account"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pigeon-account.h"
#include "pigeon-error.h"

struct _PigeonAccount
{
  GObject parent_instance;

  char *id;
  char *name;
  char *real_name;
  char *email;
  char *protocol;
  char *host;
  guint port;
  PigeonSecurity security;
  char *user;
  char *trusted_certificate;
  char *smtp_host;
  guint smtp_port;
  PigeonSecurity smtp_security;
  char *smtp_user;
  char *smtp_trusted_certificate;
  PigeonPop3Keep pop3_keep;
  guint pop3_keep_days;
  guint sync_window_days;
  guint check_interval;
  gboolean enabled;
  gboolean notify;
  char *signature;
  char *identities;

  PigeonAccountState state;
  char *status_text;
  GError *last_error;
  guint64 quota_used;
  guint64 quota_limit;
};

G_DEFINE_FINAL_TYPE (PigeonAccount, pigeon_account, G_TYPE_OBJECT)

enum {
  PROP_0,
  /* persisted */
  PROP_ID,
  PROP_NAME,
  PROP_REAL_NAME,
  PROP_EMAIL,
  PROP_PROTOCOL,
  PROP_HOST,
  PROP_PORT,
  PROP_SECURITY,
  PROP_USER,
  PROP_TRUSTED_CERTIFICATE,
  PROP_SMTP_HOST,
  PROP_SMTP_PORT,
  PROP_SMTP_SECURITY,
  PROP_SMTP_USER,
  PROP_SMTP_TRUSTED_CERTIFICATE,
  PROP_POP3_KEEP,
  PROP_POP3_KEEP_DAYS,
  PROP_SYNC_WINDOW_DAYS,
  PROP_CHECK_INTERVAL,
  PROP_ENABLED,
  PROP_NOTIFY,
  PROP_SIGNATURE,
  PROP_IDENTITIES,
  LAST_PERSISTED = PROP_IDENTITIES,
  /* runtime only */
  PROP_STATE,
  PROP_STATUS_TEXT,
  PROP_LAST_ERROR,
  PROP_QUOTA_USED,
  PROP_QUOTA_LIMIT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Where each string property lives, so get/set need no long switch per field. */
static char **
string_field (PigeonAccount *self,
              guint          prop_id)
{
  switch (prop_id)
    {
    case PROP_ID: return &self->id;
    case PROP_NAME: return &self->name;
    case PROP_REAL_NAME: return &self->real_name;
    case PROP_EMAIL: return &self->email;
    case PROP_PROTOCOL: return &self->protocol;
    case PROP_HOST: return &self->host;
    case PROP_USER: return &self->user;
    case PROP_TRUSTED_CERTIFICATE: return &self->trusted_certificate;
    case PROP_SMTP_HOST: return &self->smtp_host;
    case PROP_SMTP_USER: return &self->smtp_user;
    case PROP_SMTP_TRUSTED_CERTIFICATE: return &self->smtp_trusted_certificate;
    case PROP_SIGNATURE: return &self->signature;
    case PROP_IDENTITIES: return &self->identities;
    case PROP_STATUS_TEXT: return &self->status_text;
    default: return NULL;
    }
}

static guint *
uint_field (PigeonAccount *self,
            guint          prop_id)
{
  switch (prop_id)
    {
    case PROP_PORT: return &self->port;
    case PROP_SMTP_PORT: return &self->smtp_port;
    case PROP_POP3_KEEP_DAYS: return &self->pop3_keep_days;
    case PROP_SYNC_WINDOW_DAYS: return &self->sync_window_days;
    case PROP_CHECK_INTERVAL: return &self->check_interval;
    default: return NULL;
    }
}

static int *
enum_field (PigeonAccount *self,
            guint          prop_id)
{
  switch (prop_id)
    {
    case PROP_SECURITY: return (int *) &self->security;
    case PROP_SMTP_SECURITY: return (int *) &self->smtp_security;
    case PROP_POP3_KEEP: return (int *) &self->pop3_keep;
    case PROP_STATE: return (int *) &self->state;
    case PROP_ENABLED: return &self->enabled;
    case PROP_NOTIFY: return &self->notify;
    default: return NULL;
    }
}

static gboolean
set_str (char       **field,
         const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
pigeon_account_finalize (GObject *object)
{
  PigeonAccount *self = (PigeonAccount *) object;

  for (guint i = PROP_0 + 1; i < N_PROPS; i++)
    {
      char **field = string_field (self, i);
      if (field != NULL)
        g_clear_pointer (field, g_free);
    }
  g_clear_error (&self->last_error);

  G_OBJECT_CLASS (pigeon_account_parent_class)->finalize (object);
}

static void
pigeon_account_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  PigeonAccount *self = PIGEON_ACCOUNT (object);
  char **str = string_field (self, prop_id);
  guint *num = uint_field (self, prop_id);
  int *en = enum_field (self, prop_id);

  if (str != NULL)
    g_value_set_string (value, *str);
  else if (num != NULL)
    g_value_set_uint (value, *num);
  else if (en != NULL && G_IS_PARAM_SPEC_BOOLEAN (pspec))
    g_value_set_boolean (value, *en);
  else if (en != NULL)
    g_value_set_enum (value, *en);
  else if (prop_id == PROP_LAST_ERROR)
    g_value_set_boxed (value, self->last_error);
  else if (prop_id == PROP_QUOTA_USED)
    g_value_set_uint64 (value, self->quota_used);
  else if (prop_id == PROP_QUOTA_LIMIT)
    g_value_set_uint64 (value, self->quota_limit);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
pigeon_account_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  PigeonAccount *self = PIGEON_ACCOUNT (object);
  char **str = string_field (self, prop_id);
  guint *num = uint_field (self, prop_id);
  int *en = enum_field (self, prop_id);
  gboolean changed = FALSE;

  if (str != NULL)
    {
      const char *v = g_value_get_string (value);

      if (prop_id == PROP_TRUSTED_CERTIFICATE || prop_id == PROP_SMTP_TRUSTED_CERTIFICATE)
        {
          g_autofree char *norm = v && *v ? pigeon_account_normalize_fingerprint (v) : NULL;
          changed = set_str (str, norm);
        }
      else
        {
          changed = set_str (str, v && *v ? v : NULL);
        }
    }
  else if (num != NULL)
    {
      guint v = g_value_get_uint (value);
      changed = *num != v;
      *num = v;
    }
  else if (en != NULL)
    {
      int v = G_IS_PARAM_SPEC_BOOLEAN (pspec) ? g_value_get_boolean (value)
                                               : g_value_get_enum (value);
      changed = *en != v;
      *en = v;
    }
  else if (prop_id == PROP_QUOTA_USED || prop_id == PROP_QUOTA_LIMIT)
    {
      guint64 *field = prop_id == PROP_QUOTA_USED ? &self->quota_used : &self->quota_limit;
      guint64 v = g_value_get_uint64 (value);
      changed = *field != v;
      *field = v;
    }
  else
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }

  if (changed && prop_id != PROP_ID)
    g_object_notify_by_pspec (object, pspec);
}

#define RW (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY)

static void
pigeon_account_class_init (PigeonAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pigeon_account_finalize;
  object_class->get_property = pigeon_account_get_property;
  object_class->set_property = pigeon_account_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, RW);
  properties[PROP_REAL_NAME] = g_param_spec_string ("real-name", NULL, NULL, NULL, RW);
  properties[PROP_EMAIL] = g_param_spec_string ("email", NULL, NULL, NULL, RW);
  properties[PROP_PROTOCOL] = g_param_spec_string ("protocol", NULL, NULL, NULL, RW);
  properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, NULL, RW);
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, 65535, 0, RW);
  properties[PROP_SECURITY] =
    g_param_spec_enum ("security", NULL, NULL, PIGEON_TYPE_SECURITY, PIGEON_SECURITY_TLS, RW);
  properties[PROP_USER] = g_param_spec_string ("user", NULL, NULL, NULL, RW);
  properties[PROP_TRUSTED_CERTIFICATE] =
    g_param_spec_string ("trusted-certificate", NULL, NULL, NULL, RW);
  properties[PROP_SMTP_HOST] = g_param_spec_string ("smtp-host", NULL, NULL, NULL, RW);
  properties[PROP_SMTP_PORT] = g_param_spec_uint ("smtp-port", NULL, NULL, 0, 65535, 0, RW);
  properties[PROP_SMTP_SECURITY] =
    g_param_spec_enum ("smtp-security", NULL, NULL, PIGEON_TYPE_SECURITY,
                       PIGEON_SECURITY_STARTTLS, RW);
  properties[PROP_SMTP_USER] = g_param_spec_string ("smtp-user", NULL, NULL, NULL, RW);
  properties[PROP_SMTP_TRUSTED_CERTIFICATE] =
    g_param_spec_string ("smtp-trusted-certificate", NULL, NULL, NULL, RW);
  properties[PROP_POP3_KEEP] =
    g_param_spec_enum ("pop3-keep", NULL, NULL, PIGEON_TYPE_POP3_KEEP,
                       PIGEON_POP3_KEEP_FOREVER, RW);
  properties[PROP_POP3_KEEP_DAYS] =
    g_param_spec_uint ("pop3-keep-days", NULL, NULL, 0, 100000, 14, RW);
  properties[PROP_SYNC_WINDOW_DAYS] =
    g_param_spec_uint ("sync-window-days", NULL, NULL, 0, 100000, 0, RW);
  properties[PROP_CHECK_INTERVAL] =
    g_param_spec_uint ("check-interval", NULL, NULL, 1, 24 * 60, 10, RW);
  properties[PROP_ENABLED] = g_param_spec_boolean ("enabled", NULL, NULL, TRUE, RW);
  properties[PROP_NOTIFY] = g_param_spec_boolean ("notify", NULL, NULL, TRUE, RW);
  properties[PROP_SIGNATURE] = g_param_spec_string ("signature", NULL, NULL, NULL, RW);
  properties[PROP_IDENTITIES] = g_param_spec_string ("identities", NULL, NULL, NULL, RW);

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, PIGEON_TYPE_ACCOUNT_STATE,
                       PIGEON_ACCOUNT_STATE_IDLE, RW);
  properties[PROP_STATUS_TEXT] = g_param_spec_string ("status-text", NULL, NULL, NULL, RW);
  properties[PROP_LAST_ERROR] =
    g_param_spec_boxed ("last-error", NULL, NULL, G_TYPE_ERROR,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_QUOTA_USED] =
    g_param_spec_uint64 ("quota-used", NULL, NULL, 0, G_MAXUINT64, 0, RW);
  properties[PROP_QUOTA_LIMIT] =
    g_param_spec_uint64 ("quota-limit", NULL, NULL, 0, G_MAXUINT64, 0, RW);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pigeon_account_init (PigeonAccount *self)
{
  self->security = PIGEON_SECURITY_TLS;
  self->smtp_security = PIGEON_SECURITY_STARTTLS;
  self->pop3_keep = PIGEON_POP3_KEEP_FOREVER;
  self->pop3_keep_days = 14;
  self->check_interval = 10;
  self->enabled = TRUE;
  self->notify = TRUE;
}

PigeonAccount *
pigeon_account_new (const char *id)
{
  g_return_val_if_fail (id != NULL && *id != '\0', NULL);

  return g_object_new (PIGEON_TYPE_ACCOUNT, "id", id, NULL);
}

/* Eight hex digits: short enough for a folder name, random enough for one person's accounts
 * (the manager retries on the rare clash). */
char *
pigeon_account_generate_id (void)
{
  return g_strdup_printf ("%08x", g_random_int ());
}

const char *
pigeon_security_to_string (PigeonSecurity security)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (PIGEON_TYPE_SECURITY);
  GEnumValue *v = g_enum_get_value (klass, security);

  return v ? v->value_nick : "tls";
}

gboolean
pigeon_security_from_string (const char     *str,
                             PigeonSecurity *out)
{
  g_autoptr(GEnumClass) klass = NULL;
  GEnumValue *v;

  if (str == NULL)
    return FALSE;
  klass = g_type_class_ref (PIGEON_TYPE_SECURITY);
  v = g_enum_get_value_by_nick (klass, str);
  if (v == NULL)
    return FALSE;
  if (out)
    *out = v->value;
  return TRUE;
}

#define GETTER_STR(field) \
  const char * pigeon_account_get_##field (PigeonAccount *self) \
  { g_return_val_if_fail (PIGEON_IS_ACCOUNT (self), NULL); return self->field; }
#define GETTER(type, field) \
  type pigeon_account_get_##field (PigeonAccount *self) \
  { g_return_val_if_fail (PIGEON_IS_ACCOUNT (self), 0); return self->field; }

GETTER_STR (id)
GETTER_STR (name)
GETTER_STR (real_name)
GETTER_STR (email)
GETTER_STR (protocol)
GETTER_STR (host)
GETTER (guint, port)
GETTER (PigeonSecurity, security)
GETTER_STR (user)
GETTER_STR (trusted_certificate)
GETTER_STR (smtp_host)
GETTER (guint, smtp_port)
GETTER (PigeonSecurity, smtp_security)
GETTER_STR (smtp_user)
GETTER_STR (smtp_trusted_certificate)
GETTER (PigeonPop3Keep, pop3_keep)
GETTER (guint, pop3_keep_days)
GETTER (guint, sync_window_days)
GETTER (guint, check_interval)
GETTER (gboolean, enabled)
GETTER (gboolean, notify)
GETTER_STR (signature)
GETTER_STR (identities)
GETTER (PigeonAccountState, state)
GETTER_STR (status_text)
GETTER (guint64, quota_used)
GETTER (guint64, quota_limit)

#undef GETTER
#undef GETTER_STR

const GError *
pigeon_account_get_last_error (PigeonAccount *self)
{
  g_return_val_if_fail (PIGEON_IS_ACCOUNT (self), NULL);
  return self->last_error;
}

const char *
pigeon_account_get_login (PigeonAccount *self)
{
  g_return_val_if_fail (PIGEON_IS_ACCOUNT (self), NULL);
  return self->user ? self->user : self->email;
}

const char *
pigeon_account_get_smtp_login (PigeonAccount *self)
{
  g_return_val_if_fail (PIGEON_IS_ACCOUNT (self), NULL);
  return self->smtp_user ? self->smtp_user : pigeon_account_get_login (self);
}

gboolean
pigeon_account_has_smtp (PigeonAccount *self)
{
  g_return_val_if_fail (PIGEON_IS_ACCOUNT (self), FALSE);
  return self->smtp_host != NULL;
}

void
pigeon_account_set_state (PigeonAccount      *self,
                          PigeonAccountState  state,
                          const char         *status_text)
{
  g_return_if_fail (PIGEON_IS_ACCOUNT (self));

  g_object_freeze_notify (G_OBJECT (self));
  g_object_set (self, "state", state, "status-text", status_text, NULL);
  g_object_thaw_notify (G_OBJECT (self));
}

void
pigeon_account_set_last_error (PigeonAccount *self,
                               const GError  *error)
{
  g_return_if_fail (PIGEON_IS_ACCOUNT (self));

  if (self->last_error == NULL && error == NULL)
    return;
  if (self->last_error && error && self->last_error->domain == error->domain &&
      self->last_error->code == error->code &&
      g_strcmp0 (self->last_error->message, error->message) == 0)
    return;
  g_clear_error (&self->last_error);
  if (error)
    self->last_error = g_error_copy (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
}

void
pigeon_account_set_quota (PigeonAccount *self,
                          guint64        used,
                          guint64        limit)
{
  g_return_if_fail (PIGEON_IS_ACCOUNT (self));

  g_object_freeze_notify (G_OBJECT (self));
  g_object_set (self, "quota-used", used, "quota-limit", limit, NULL);
  g_object_thaw_notify (G_OBJECT (self));
}

char *
pigeon_account_normalize_fingerprint (const char *fingerprint)
{
  GString *out;

  g_return_val_if_fail (fingerprint != NULL, NULL);

  out = g_string_sized_new (64);
  for (const char *p = fingerprint; *p; p++)
    {
      if (*p == ':' || *p == ' ')
        continue;
      if (!g_ascii_isxdigit (*p))
        {
          g_string_free (out, TRUE);
          return NULL;
        }
      g_string_append_c (out, g_ascii_tolower (*p));
    }
  if (out->len != 64)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

gboolean
pigeon_account_is_persisted_property (const char *property_name)
{
  for (guint i = PROP_ID; i <= LAST_PERSISTED; i++)
    if (g_strcmp0 (properties[i]->name, property_name) == 0)
      return TRUE;
  return FALSE;
}

/* Keys in accounts.ini are the property names; enums are written as their nicks. */
gboolean
pigeon_account_load_from_keyfile (PigeonAccount *self,
                                  GKeyFile      *keyfile,
                                  const char    *group,
                                  GError       **error)
{
  g_return_val_if_fail (PIGEON_IS_ACCOUNT (self), FALSE);

  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = PROP_NAME; i <= LAST_PERSISTED; i++)
    {
      GParamSpec *pspec = properties[i];
      g_autofree char *raw = NULL;
      g_auto(GValue) value = G_VALUE_INIT;

      if (!g_key_file_has_key (keyfile, group, pspec->name, NULL))
        continue;
      raw = g_key_file_get_string (keyfile, group, pspec->name, NULL);
      if (raw == NULL)
        continue;

      g_value_init (&value, pspec->value_type);
      if (G_IS_PARAM_SPEC_STRING (pspec))
        {
          g_value_set_string (&value, raw);
        }
      else if (G_IS_PARAM_SPEC_UINT (pspec))
        {
          guint64 n;
          GParamSpecUInt *u = G_PARAM_SPEC_UINT (pspec);

          if (!g_ascii_string_to_unsigned (raw, 10, u->minimum, u->maximum, &n, NULL))
            {
              g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONFIG,
                           _("“%s” is not a valid value for %s"), raw, pspec->name);
              g_object_thaw_notify (G_OBJECT (self));
              return FALSE;
            }
          g_value_set_uint (&value, (guint) n);
        }
      else if (G_IS_PARAM_SPEC_BOOLEAN (pspec))
        {
          if (g_strcmp0 (raw, "true") != 0 && g_strcmp0 (raw, "false") != 0)
            {
              g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONFIG,
                           _("“%s” is not a valid value for %s"), raw, pspec->name);
              g_object_thaw_notify (G_OBJECT (self));
              return FALSE;
            }
          g_value_set_boolean (&value, g_strcmp0 (raw, "true") == 0);
        }
      else if (G_IS_PARAM_SPEC_ENUM (pspec))
        {
          GEnumValue *ev = g_enum_get_value_by_nick (G_PARAM_SPEC_ENUM (pspec)->enum_class, raw);

          if (ev == NULL)
            {
              g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_CONFIG,
                           _("“%s” is not a valid value for %s"), raw, pspec->name);
              g_object_thaw_notify (G_OBJECT (self));
              return FALSE;
            }
          g_value_set_enum (&value, ev->value);
        }
      g_object_set_property (G_OBJECT (self), pspec->name, &value);
    }
  g_object_thaw_notify (G_OBJECT (self));

  return pigeon_account_validate (self, error);
}

void
pigeon_account_save_to_keyfile (PigeonAccount *self,
                                GKeyFile      *keyfile,
                                const char    *group)
{
  g_return_if_fail (PIGEON_IS_ACCOUNT (self));

  for (guint i = PROP_NAME; i <= LAST_PERSISTED; i++)
    {
      GParamSpec *pspec = properties[i];
      g_auto(GValue) value = G_VALUE_INIT;

      g_value_init (&value, pspec->value_type);
      g_object_get_property (G_OBJECT (self), pspec->name, &value);

      if (G_IS_PARAM_SPEC_STRING (pspec))
        {
          if (g_value_get_string (&value))
            g_key_file_set_string (keyfile, group, pspec->name, g_value_get_string (&value));
        }
      else if (G_IS_PARAM_SPEC_UINT (pspec))
        {
          g_autofree char *s = g_strdup_printf ("%u", g_value_get_uint (&value));
          g_key_file_set_string (keyfile, group, pspec->name, s);
        }
      else if (G_IS_PARAM_SPEC_BOOLEAN (pspec))
        {
          g_key_file_set_string (keyfile, group, pspec->name,
                                 g_value_get_boolean (&value) ? "true" : "false");
        }
      else if (G_IS_PARAM_SPEC_ENUM (pspec))
        {
          GEnumValue *ev = g_enum_get_value (G_PARAM_SPEC_ENUM (pspec)->enum_class,
                                             g_value_get_enum (&value));
          g_key_file_set_string (keyfile, group, pspec->name, ev->value_nick);
        }
    }
}

gboolean
pigeon_account_validate (PigeonAccount *self,
                         GError       **error)
{
  g_return_val_if_fail (PIGEON_IS_ACCOUNT (self), FALSE);

  if (self->email == NULL || strchr (self->email, '@') == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("“%s” is not an e-mail address"), self->email ? self->email : "");
      return FALSE;
    }
  if (self->protocol == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("The account for %s has no protocol"), self->email);
      return FALSE;
    }
  if (self->host == NULL)
    {
      g_set_error (error, PIGEON_ERROR, PIGEON_ERROR_INVALID,
                   _("The account for %s has no server"), self->email);
      return FALSE;
    }
  return TRUE;
}

char **
pigeon_account_dup_identities (PigeonAccount *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) lines = NULL;

  g_return_val_if_fail (PIGEON_IS_ACCOUNT (self), NULL);

  if (self->email != NULL && self->real_name != NULL)
    {
      g_autofree char *own = g_strdup_printf ("%s <%s>", self->real_name, self->email);

      g_strv_builder_add (builder, own);
    }
  else if (self->email != NULL)
    g_strv_builder_add (builder, self->email);

  lines = self->identities ? g_strsplit (self->identities, "\n", -1) : NULL;
  for (guint i = 0; lines != NULL && lines[i] != NULL; i++)
    {
      g_strstrip (lines[i]);
      if (*lines[i] != '\0')
        g_strv_builder_add (builder, lines[i]);
    }
  return g_strv_builder_end (builder);
}
