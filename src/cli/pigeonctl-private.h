/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-account-manager.h"
#include "pigeon-provider.h"
#include "pigeon-store.h"

G_BEGIN_DECLS

/* What every command gets: the parsed global options and its own arguments. */
typedef struct
{
  PigeonAccountManager *manager;
  int argc;
  char **argv;   /* argv[0] is the command name ("account add", "list", …) */
} PigeonCtl;

typedef gboolean (*PigeonCtlCommandFunc) (PigeonCtl *ctl,
                                          GError   **error);

typedef struct
{
  const char *name;       /* "account add" */
  const char *usage;      /* "--name NAME --email ADDR …" */
  const char *summary;
  PigeonCtlCommandFunc func;
} PigeonCtlCommand;

/* The command tables of each file. */
extern const PigeonCtlCommand pigeonctl_account_commands[];
extern const PigeonCtlCommand pigeonctl_mail_commands[];
extern const PigeonCtlCommand pigeonctl_send_commands[];

/* Shared helpers (pigeonctl-util.c). */
gboolean        pigeonctl_parse_options   (PigeonCtl     *ctl,
                                           GOptionEntry  *entries,
                                           const char    *parameter_string,
                                           int            min_args,
                                           int            max_args,
                                           GError       **error);
PigeonAccount  *pigeonctl_find_account    (PigeonCtl     *ctl,
                                           const char    *id_or_name,
                                           GError       **error);
PigeonStore    *pigeonctl_open_store      (PigeonCtl     *ctl,
                                           PigeonAccount *account,
                                           GError       **error);
PigeonFolder   *pigeonctl_find_folder     (PigeonStore   *store,
                                           const char    *path,
                                           GError       **error);
PigeonMessage  *pigeonctl_find_message    (PigeonStore   *store,
                                           PigeonFolder  *folder,
                                           const char    *id,
                                           GError       **error);
/* Replays the account's queued changes now; a failure is only a warning, since the change
 * is saved and will reach the server at the next sync. */
void            pigeonctl_push_changes    (PigeonAccount *account,
                                           PigeonStore   *store);
void            pigeonctl_json_string     (GString       *out,
                                           const char    *value);
char           *pigeonctl_format_date     (gint64         unix_time);

G_END_DECLS
