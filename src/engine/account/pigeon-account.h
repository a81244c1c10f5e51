/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pigeon-enums.h"

G_BEGIN_DECLS

typedef enum
{
  PIGEON_SECURITY_TLS,        /* implicit TLS from the first byte */
  PIGEON_SECURITY_STARTTLS,   /* plain connect, then upgrade; refuse if the server cannot */
  PIGEON_SECURITY_NONE,       /* plain text: only with the user's explicit opt-in */
} PigeonSecurity;

typedef enum
{
  PIGEON_POP3_KEEP_FOREVER,        /* leave every message on the server */
  PIGEON_POP3_KEEP_DAYS,           /* leave it for pop3-keep-days, then delete it there */
  PIGEON_POP3_KEEP_UNTIL_DELETED,  /* delete it there when it is deleted in Pigeon */
  PIGEON_POP3_KEEP_NO,             /* delete it there right after download */
} PigeonPop3Keep;

typedef enum
{
  PIGEON_ACCOUNT_STATE_IDLE,
  PIGEON_ACCOUNT_STATE_CONNECTING,
  PIGEON_ACCOUNT_STATE_SYNCING,
  PIGEON_ACCOUNT_STATE_OFFLINE,
  PIGEON_ACCOUNT_STATE_ERROR,
} PigeonAccountState;

const char *pigeon_security_to_string    (PigeonSecurity security);
gboolean    pigeon_security_from_string  (const char *str, PigeonSecurity *out);

#define PIGEON_TYPE_ACCOUNT (pigeon_account_get_type ())
G_DECLARE_FINAL_TYPE (PigeonAccount, pigeon_account, PIGEON, ACCOUNT, GObject)

/*
 * An account's settings (persisted in accounts.ini by PigeonAccountManager) and its
 * runtime state (never persisted: state, status text, last error, quota).  Runtime
 * properties are only set on the main context, so views can bind to them.
 * No secret is ever a property: passwords live in the keyring (PigeonSecrets).
 */
PigeonAccount  *pigeon_account_new                  (const char *id);
char           *pigeon_account_generate_id          (void);

const char     *pigeon_account_get_id               (PigeonAccount *self);
const char     *pigeon_account_get_name             (PigeonAccount *self);
const char     *pigeon_account_get_real_name        (PigeonAccount *self);
const char     *pigeon_account_get_email            (PigeonAccount *self);
const char     *pigeon_account_get_protocol         (PigeonAccount *self);
const char     *pigeon_account_get_host             (PigeonAccount *self);
guint           pigeon_account_get_port             (PigeonAccount *self);
PigeonSecurity  pigeon_account_get_security         (PigeonAccount *self);
const char     *pigeon_account_get_user             (PigeonAccount *self);
const char     *pigeon_account_get_trusted_certificate (PigeonAccount *self);
const char     *pigeon_account_get_smtp_host        (PigeonAccount *self);
guint           pigeon_account_get_smtp_port        (PigeonAccount *self);
PigeonSecurity  pigeon_account_get_smtp_security    (PigeonAccount *self);
const char     *pigeon_account_get_smtp_user        (PigeonAccount *self);
const char     *pigeon_account_get_smtp_trusted_certificate (PigeonAccount *self);
PigeonPop3Keep  pigeon_account_get_pop3_keep        (PigeonAccount *self);
guint           pigeon_account_get_pop3_keep_days   (PigeonAccount *self);
guint           pigeon_account_get_sync_window_days (PigeonAccount *self);
guint           pigeon_account_get_check_interval   (PigeonAccount *self);
gboolean        pigeon_account_get_enabled          (PigeonAccount *self);
gboolean        pigeon_account_get_notify           (PigeonAccount *self);
const char     *pigeon_account_get_signature        (PigeonAccount *self);
/* More addresses the user sends from with this account: one "Name <address>" (or a bare
 * address) a line, NULL for none. */
const char     *pigeon_account_get_identities       (PigeonAccount *self);
/* Every identity to send from, the account's own ("Real Name <address>") first. */
char          **pigeon_account_dup_identities       (PigeonAccount *self);

/* The user name to log in with: the user setting, or the address when unset. */
const char     *pigeon_account_get_login            (PigeonAccount *self);
const char     *pigeon_account_get_smtp_login       (PigeonAccount *self);
gboolean        pigeon_account_has_smtp             (PigeonAccount *self);

/* Runtime state, for the window. */
PigeonAccountState pigeon_account_get_state         (PigeonAccount *self);
const char     *pigeon_account_get_status_text      (PigeonAccount *self);
const GError   *pigeon_account_get_last_error       (PigeonAccount *self);
guint64         pigeon_account_get_quota_used       (PigeonAccount *self);
guint64         pigeon_account_get_quota_limit      (PigeonAccount *self);
void            pigeon_account_set_state            (PigeonAccount      *self,
                                                     PigeonAccountState  state,
                                                     const char         *status_text);
void            pigeon_account_set_last_error       (PigeonAccount      *self,
                                                     const GError       *error);
void            pigeon_account_set_quota            (PigeonAccount      *self,
                                                     guint64             used,
                                                     guint64             limit);

/* Normalises a SHA-256 fingerprint ("AB:cd:…" or "abcd…") to 64 lower-case hex digits;
 * NULL when it is not one. */
char           *pigeon_account_normalize_fingerprint (const char *fingerprint);

/* Persistence (used by PigeonAccountManager). */
gboolean        pigeon_account_load_from_keyfile    (PigeonAccount *self,
                                                     GKeyFile      *keyfile,
                                                     const char    *group,
                                                     GError       **error);
void            pigeon_account_save_to_keyfile      (PigeonAccount *self,
                                                     GKeyFile      *keyfile,
                                                     const char    *group);
gboolean        pigeon_account_validate             (PigeonAccount *self,
                                                     GError       **error);
gboolean        pigeon_account_is_persisted_property (const char *property_name);

G_END_DECLS
