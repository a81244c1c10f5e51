/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * What the user is shown about a server certificate, and the fingerprint a pinned
 * exception is keyed on (SHA-256 of the DER bytes).
 */

/* 64 lower-case hex digits: the form accounts.ini stores (see
 * pigeon_account_normalize_fingerprint). */
char   *pigeon_certificate_dup_sha256         (GTlsCertificate      *certificate);
/* Colon-separated upper-case hex ("AB:CD:…"), the form people compare by eye. */
char   *pigeon_certificate_dup_fingerprint    (GTlsCertificate      *certificate);

/* A PIGEON_ERROR_CERTIFICATE whose message says why CERTIFICATE is not trusted for HOST
 * (ERRORS as reported by the TLS backend; PIN_MISMATCH when the user had trusted a
 * different one), who it was issued to and by, its validity dates and its fingerprint. */
GError *pigeon_certificate_new_error          (GTlsCertificate      *certificate,
                                               GTlsCertificateFlags  errors,
                                               const char           *host,
                                               gboolean              pin_mismatch);

/* The SHA-256 fingerprint (64 lower-case hex digits) of the certificate a
 * PIGEON_ERROR_CERTIFICATE is about: every such error names it in its message, in the
 * colon-separated form, whatever the language.  NULL for other errors. */
char   *pigeon_certificate_error_dup_sha256   (const GError         *error);

G_END_DECLS
