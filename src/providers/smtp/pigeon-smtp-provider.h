/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pigeon-provider.h"

G_BEGIN_DECLS

/*
 * Outgoing mail through the account's SMTP submission server (its smtp-* settings): port
 * 587 with STARTTLS or 465 with implicit TLS, plain text only when the account says so.
 * It only sends; it is never an account's incoming protocol.  Its send reports the point
 * of no return (PIGEON_PROVIDER_CAP_SEND_CHECKPOINT) right before the end of the data.
 */

#define PIGEON_TYPE_SMTP_PROVIDER (pigeon_smtp_provider_get_type ())
G_DECLARE_FINAL_TYPE (PigeonSmtpProvider, pigeon_smtp_provider, PIGEON, SMTP_PROVIDER,
                      PigeonProvider)

/* Puts the provider on the extension point as "smtp". */
void pigeon_smtp_provider_register (void);

G_END_DECLS
