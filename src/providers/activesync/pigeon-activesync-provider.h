/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-provider.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_ACTIVESYNC_PROVIDER (pigeon_activesync_provider_get_type ())
G_DECLARE_FINAL_TYPE (PigeonActiveSyncProvider, pigeon_activesync_provider,
                      PIGEON, ACTIVESYNC_PROVIDER, PigeonProvider)

/* Puts the provider on the extension point under "activesync". */
void pigeon_activesync_provider_register (void);

G_END_DECLS
