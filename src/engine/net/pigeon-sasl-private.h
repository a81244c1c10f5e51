/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-sasl.h"

G_BEGIN_DECLS

/* Replaces the random SCRAM client nonce, so tests can replay the RFC examples. */
void pigeon_sasl_set_client_nonce (PigeonSasl *self,
                                   const char *nonce);

G_END_DECLS
