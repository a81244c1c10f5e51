/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-imap-command.h"

G_BEGIN_DECLS

/* What the session sees of a command. */
typedef struct
{
  GString *text;     /* text before the literal (or the last text, when literal is NULL) */
  GBytes  *literal;
} PigeonImapCommandPart;

struct _PigeonImapCommand
{
  gatomicrefcount ref_count;
  char *name;
  GPtrArray *parts;                /* PigeonImapCommandPart*, at least one */
  char *secret_prefix;
  char *tag;
  PigeonImapUntaggedFunc untagged_func;
  gpointer untagged_data;
  PigeonImapContinuationFunc continuation_func;
  gpointer continuation_data;
  PigeonImapResponse *response;
  gboolean done;
  /* waiting for "+" before sending a synchronising literal */
  gboolean awaiting_literal;
  gboolean got_continuation;
};

G_END_DECLS
