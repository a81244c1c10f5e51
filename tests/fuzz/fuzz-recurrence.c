/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: a calendar event as a server may describe it — a Windows time zone
 * blob and any recurrence rule with exceptions — expands within its bounds, sorted, in
 * finite time, whatever the numbers. */
#define G_LOG_DOMAIN "pigeon-fuzz"

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "pigeon-recurrence.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define TZ_SIZE 172

/* Reads the next N bytes of input as a signed integer (little-endian); 0 past the end. */
static gint64
take (const uint8_t **data,
      size_t         *size,
      guint           n)
{
  guint64 value = 0;

  for (guint i = 0; i < n; i++)
    {
      guint8 byte = 0;

      if (*size > 0)
        {
          byte = **data;
          (*data)++;
          (*size)--;
        }
      value |= (guint64) byte << (8 * i);
    }
  if (n < 8 && (value >> (8 * n - 1)) & 1)
    value |= ~(guint64) 0 << (8 * n);   /* sign-extend */
  return (gint64) value;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  PigeonRecurrence rule = { 0 };
  g_autofree char *zone = NULL;
  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(GArray) exceptions = pigeon_event_exceptions_new ();
  g_autoptr(GArray) occurrences = NULL;
  gint64 starts_at, ends_at, from, to;
  gboolean all_day, valid;
  guint n_exceptions;

  /* the time zone: a whole blob when there are enough bytes */
  if (size >= TZ_SIZE)
    {
      zone = pigeon_recurrence_time_zone_from_windows (data, TZ_SIZE);
      data += TZ_SIZE;
      size -= TZ_SIZE;
    }
  tz = pigeon_recurrence_time_zone_new (zone);

  rule.type = (PigeonRecurrenceType) take (&data, &size, 1);
  rule.interval = (gint) take (&data, &size, 4);
  rule.until = take (&data, &size, 8);
  rule.occurrences = (gint) take (&data, &size, 4);
  rule.day_of_week = (gint) take (&data, &size, 2);
  rule.day_of_month = (gint) take (&data, &size, 1);
  rule.week_of_month = (gint) take (&data, &size, 1);
  rule.month_of_year = (gint) take (&data, &size, 1);
  rule.first_day_of_week = (gint) take (&data, &size, 1);
  valid = pigeon_recurrence_normalize (&rule);

  starts_at = take (&data, &size, 8);
  /* sums wrap rather than overflow: the expansion must cope with any pair */
  ends_at = (gint64) ((guint64) starts_at + (guint64) take (&data, &size, 4));
  all_day = take (&data, &size, 1) & 1;
  from = take (&data, &size, 8);
  to = (gint64) ((guint64) from + (guint64) take (&data, &size, 5));

  n_exceptions = (guint) take (&data, &size, 1) & 0x0f;
  for (guint i = 0; i < n_exceptions; i++)
    {
      PigeonEventException exception = { 0 };

      exception.original_start = take (&data, &size, 8);
      exception.deleted = take (&data, &size, 1) & 1;
      exception.starts_at = take (&data, &size, 8);
      exception.ends_at = take (&data, &size, 8);
      g_array_append_val (exceptions, exception);
    }

  occurrences = pigeon_recurrence_expand (valid ? &rule : NULL, tz, starts_at, ends_at, all_day,
                                          (const PigeonEventException *) exceptions->data,
                                          exceptions->len, from, to,
                                          (guint) take (&data, &size, 2));
  g_assert (occurrences != NULL);
  g_assert (occurrences->len <= PIGEON_RECURRENCE_MAX_EXPANDED);
  for (guint i = 1; i < occurrences->len; i++)
    g_assert (g_array_index (occurrences, PigeonOccurrence, i - 1).starts_at <=
              g_array_index (occurrences, PigeonOccurrence, i).starts_at);
  return 0;
}
