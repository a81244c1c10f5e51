/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "pigeon-autoconfig-types.h"

G_BEGIN_DECLS

/* What the sources of a lookup share. */
typedef struct
{
  SoupSession *session;
  char        *http_base;   /* test plumbing: see PigeonAutoconfig:http-base */
  char        *email;
  char        *domain;
  char        *password;    /* for Autodiscover only; wiped when the lookup ends */
  guint        timeout;     /* seconds, for each connection and each read */
} PigeonAutoconfigContext;

/* Reference-counted: every pending request holds one. */
PigeonAutoconfigContext *pigeon_autoconfig_context_new   (SoupSession *session,
                                                          const char  *http_base,
                                                          const char  *email,
                                                          const char  *password,
                                                          guint        timeout);
PigeonAutoconfigContext *pigeon_autoconfig_context_ref   (PigeonAutoconfigContext *context);
void                     pigeon_autoconfig_context_unref (PigeonAutoconfigContext *context);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PigeonAutoconfigContext, pigeon_autoconfig_context_unref)

/* Cancels INNER when OUTER (may be NULL) is cancelled, for as long as INNER lives.  Unlike
 * g_cancellable_connect() this never needs a disconnect, which would deadlock when the
 * last reference goes inside OUTER's own cancellation. */
void pigeon_autoconfig_chain_cancellable (GCancellable *outer,
                                          GCancellable *inner);

/* ------------------------------------------------------------------ HTTP */

/* GET (BODY NULL) or POST an XML BODY to URL and return what a 200 answer carried, at
 * most PIGEON_AUTOCONFIG_MAX_DOCUMENT bytes.  Redirects are followed (five at most) only to
 * https addresses.  USER and PASSWORD answer a Basic challenge, and only over https to a
 * host within the address's domain.  Errors: PIGEON_ERROR_NOT_FOUND for an answer without
 * a document, PIGEON_ERROR_CONNECT, PIGEON_ERROR_CERTIFICATE, PIGEON_ERROR_PROTOCOL. */
void      pigeon_autoconfig_fetch_async   (PigeonAutoconfigContext *context,
                                           const char              *url,
                                           GBytes                  *body,
                                           const char              *user,
                                           GCancellable            *cancellable,
                                           GAsyncReadyCallback      callback,
                                           gpointer                 user_data);
GBytes   *pigeon_autoconfig_fetch_finish  (GAsyncResult            *result,
                                           GError                 **error);

/* One GET without following redirects: the https address a 30x answer points to. */
void      pigeon_autoconfig_find_redirect_async  (PigeonAutoconfigContext *context,
                                                  const char              *url,
                                                  GCancellable            *cancellable,
                                                  GAsyncReadyCallback      callback,
                                                  gpointer                 user_data);
char     *pigeon_autoconfig_find_redirect_finish (GAsyncResult            *result,
                                                  GError                 **error);

/* Whether HOST is DOMAIN or below it. */
gboolean  pigeon_autoconfig_host_in_domain (const char *host,
                                            const char *domain);

/* ------------------------------------------------------------------ race */

/*
 * Several attempts at the same thing, in order of preference, all started at once, each
 * an operation finished by pigeon_autoconfig_source_finish: the first that succeeds wins
 * once every attempt before it has failed, and the others are cancelled.  When all fail,
 * TASK gets the first one's error.  Start each attempt with the race's cancellable and
 * pigeon_autoconfig_race_slot_cb, pigeon_autoconfig_race_slot (race, index).
 */
typedef struct _PigeonAutoconfigRace PigeonAutoconfigRace;

PigeonAutoconfigRace *pigeon_autoconfig_race_new             (GTask                *task,
                                                              guint                 n);
GCancellable         *pigeon_autoconfig_race_get_cancellable (PigeonAutoconfigRace *race);
gpointer              pigeon_autoconfig_race_slot            (PigeonAutoconfigRace *race,
                                                              guint                 index);
void                  pigeon_autoconfig_race_slot_cb         (GObject              *source,
                                                              GAsyncResult         *result,
                                                              gpointer              slot);
void                  pigeon_autoconfig_race_unref           (PigeonAutoconfigRace *race);

/* ------------------------------------------------------------------ sources */

/* The domain's two autoconfig addresses; the first document that parses wins. */
void                    pigeon_autoconfig_domain_async   (PigeonAutoconfigContext *context,
                                                          GCancellable            *cancellable,
                                                          GAsyncReadyCallback      callback,
                                                          gpointer                 user_data);
/* The domain's MX hosts, looked up in Pigeon's list. */
void                    pigeon_autoconfig_mx_async       (PigeonAutoconfigContext *context,
                                                          GCancellable            *cancellable,
                                                          GAsyncReadyCallback      callback,
                                                          gpointer                 user_data);
/* RFC 6186 (and RFC 8314's submissions) SRV records. */
void                    pigeon_autoconfig_srv_async      (PigeonAutoconfigContext *context,
                                                          GCancellable            *cancellable,
                                                          GAsyncReadyCallback      callback,
                                                          gpointer                 user_data);
/* Exchange Autodiscover (the POX protocol). */
void                    pigeon_autoconfig_autodiscover_async (PigeonAutoconfigContext *context,
                                                              GCancellable            *cancellable,
                                                              GAsyncReadyCallback      callback,
                                                              gpointer                 user_data);
/* Usual host names on the providers' usual ports, probed with short timeouts. */
void                    pigeon_autoconfig_guess_async    (PigeonAutoconfigContext *context,
                                                          GCancellable            *cancellable,
                                                          GAsyncReadyCallback      callback,
                                                          gpointer                 user_data);
/* The finish function of every source above: NULL with an error when it found nothing. */
PigeonAutoconfigResult *pigeon_autoconfig_source_finish  (GAsyncResult            *result,
                                                          GError                 **error);

G_END_DECLS
