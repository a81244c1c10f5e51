/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "pigeon-session.h"

G_BEGIN_DECLS

#define PIGEON_TYPE_CERTIFICATE_DIALOG (pigeon_certificate_dialog_get_type ())
G_DECLARE_FINAL_TYPE (PigeonCertificateDialog, pigeon_certificate_dialog, PIGEON,
                      CERTIFICATE_DIALOG, GtkDialog)

/*
 * A server certificate that did not verify: what is wrong with it, who it was issued to
 * and by, its dates and SHA-256 fingerprint (all in ERROR, a PIGEON_ERROR_CERTIFICATE), and
 * "Trust This Certificate", which pins that one fingerprint for the account and syncs again.
 */
GtkWidget *pigeon_certificate_dialog_new (GtkWindow     *parent,
                                          PigeonSession *session,
                                          const GError  *error);

/* The SHA-256 fingerprint a certificate error names, as 64 lower-case hex digits; NULL
 * when it names none. */
char      *pigeon_certificate_dialog_find_fingerprint (const char *message);

G_END_DECLS
