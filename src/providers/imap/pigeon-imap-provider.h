/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-provider.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_IMAP_PROVIDER (pigeon_imap_provider_get_type ())
G_DECLARE_FINAL_TYPE (PigeonImapProvider, pigeon_imap_provider, PIGEON, IMAP_PROVIDER,
                      PigeonProvider)

/* Puts the IMAP provider on the provider extension point as "imap". */
void pigeon_imap_provider_register (void);

G_END_DECLS
