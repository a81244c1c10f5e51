/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-engine"

#include "config.h"

#include "pigeon-error.h"

G_DEFINE_QUARK (pigeon-error-quark, pigeon_error)

/* Errors worth retrying later without asking the user anything. */
gboolean
pigeon_error_is_transient (const GError *error)
{
  if (error == NULL)
    return FALSE;
  if (error->domain == PIGEON_ERROR)
    {
      switch ((PigeonErrorCode) error->code)
        {
        case PIGEON_ERROR_CONNECT:
        case PIGEON_ERROR_CONNECTION_LOST:
        case PIGEON_ERROR_TIMEOUT:
        case PIGEON_ERROR_SERVER:
        case PIGEON_ERROR_IN_USE:
        case PIGEON_ERROR_OFFLINE:
        case PIGEON_ERROR_PROTOCOL:
          return TRUE;
        default:
          return FALSE;
        }
    }
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE);
}

const char *
pigeon_error_code_to_string (PigeonErrorCode code)
{
  static const char *names[] = {
    "failed", "auth", "no-password", "keyring", "certificate", "connect",
    "connection-lost", "timeout", "protocol", "unsupported", "server", "in-use",
    "not-found", "invalid", "storage", "store-too-new", "config", "rejected",
    "too-big", "offline",
  };
  if ((guint) code < G_N_ELEMENTS (names))
    return names[code];
  return "unknown";
}
