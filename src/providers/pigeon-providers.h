/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Registers every built-in provider on the extension point; safe to call more than once. */
void pigeon_providers_register (void);

G_END_DECLS
