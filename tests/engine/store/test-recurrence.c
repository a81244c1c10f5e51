/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Recurring events: what [MS-ASCAL] rules expand to, on the wall clock of their time zone,
 * and that no rule a server sends can make the expansion run away. */
#define G_LOG_DOMAIN "pigeon-test"

#include "config.h"

#include <string.h>

#include "pigeon-recurrence.h"

/* Berlin's rules: UTC+1, summer time from the last Sunday of March to that of October. */
#define BERLIN "XST-01:00XDT-02:00,M3.5.0/02:00:00,M10.5.0/03:00:00"
#define UTC "XST+00:00"

static gint64
at (const char *tz_id,
    const char *local)
{
  g_autoptr(GTimeZone) tz = pigeon_recurrence_time_zone_new (tz_id);
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (local, tz);

  g_assert_nonnull (dt);
  return g_date_time_to_unix (dt);
}

/* The occurrences as "YYYY-MM-DD HH:MM+duration_minutes" in TZ_ID, comma-separated. */
static char *
expand (const PigeonRecurrence     *rule,
        const char                 *tz_id,
        const char                 *start,
        gint                        minutes,
        gboolean                    all_day,
        const PigeonEventException *exceptions,
        guint                       n_exceptions,
        gint64                      from,
        gint64                      to,
        guint                       max)
{
  g_autoptr(GTimeZone) tz = pigeon_recurrence_time_zone_new (tz_id);
  gint64 starts_at = at (tz_id, start);
  g_autoptr(GArray) occurrences = pigeon_recurrence_expand (rule, tz, starts_at,
                                                            starts_at + minutes * 60, all_day,
                                                            exceptions, n_exceptions, from, to,
                                                            max);
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < occurrences->len; i++)
    {
      const PigeonOccurrence *o = &g_array_index (occurrences, PigeonOccurrence, i);
      g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (o->starts_at);
      g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, tz);
      g_autofree char *text = g_date_time_format (local, "%Y-%m-%d %H:%M");

      if (i > 0)
        {
          const PigeonOccurrence *prev = &g_array_index (occurrences, PigeonOccurrence, i - 1);

          g_assert_cmpint (prev->starts_at, <=, o->starts_at);
          g_string_append (out, ", ");
        }
      g_string_append_printf (out, "%s+%d", text, (int) ((o->ends_at - o->starts_at) / 60));
    }
  return g_string_free (out, FALSE);
}

static char *
expand_all (const PigeonRecurrence *rule,
            const char             *tz_id,
            const char             *start,
            guint                   max)
{
  return expand (rule, tz_id, start, 60, FALSE, NULL, 0, 0, G_MAXINT64, max);
}

static PigeonRecurrence
rule_of (PigeonRecurrenceType type,
         gint                 interval)
{
  PigeonRecurrence rule = { type, interval };

  return rule;
}

/* ------------------------------------------------------------------ each type */

static void
test_daily (void)
{
  PigeonRecurrence rule = rule_of (PIGEON_RECURRENCE_DAILY, 2);
  g_autofree char *got = NULL, *weekdays = NULL;

  rule.occurrences = 4;
  g_assert_true (pigeon_recurrence_normalize (&rule));
  got = expand_all (&rule, UTC, "2025-01-30T10:00:00", 10);
  g_assert_cmpstr (got, ==, "2025-01-30 10:00+60, 2025-02-01 10:00+60, "
                            "2025-02-03 10:00+60, 2025-02-05 10:00+60");

  /* Type 0 with DayOfWeek 62, as SOGo sends "every weekday": Friday, then Monday */
  rule = rule_of (PIGEON_RECURRENCE_DAILY, 1);
  rule.day_of_week = 62;
  rule.occurrences = 3;
  g_assert_true (pigeon_recurrence_normalize (&rule));
  weekdays = expand_all (&rule, UTC, "2025-01-30T10:00:00", 10);
  g_assert_cmpstr (weekdays, ==, "2025-01-30 10:00+60, 2025-01-31 10:00+60, 2025-02-03 10:00+60");
}

static void
test_weekly (void)
{
  PigeonRecurrence rule = rule_of (PIGEON_RECURRENCE_WEEKLY, 2);
  g_autofree char *got = NULL, *plain = NULL;

  /* Monday and Wednesday every other week, from a Wednesday */
  rule.day_of_week = 2 | 8;
  rule.first_day_of_week = 1;
  rule.occurrences = 5;
  g_assert_true (pigeon_recurrence_normalize (&rule));
  got = expand_all (&rule, UTC, "2025-01-01T09:00:00", 10);
  g_assert_cmpstr (got, ==, "2025-01-01 09:00+60, 2025-01-13 09:00+60, 2025-01-15 09:00+60, "
                            "2025-01-27 09:00+60, 2025-01-29 09:00+60");

  /* no DayOfWeek: the start's weekday */
  rule = rule_of (PIGEON_RECURRENCE_WEEKLY, 1);
  rule.occurrences = 3;
  g_assert_true (pigeon_recurrence_normalize (&rule));
  plain = expand_all (&rule, UTC, "2025-01-02T09:00:00", 10);
  g_assert_cmpstr (plain, ==, "2025-01-02 09:00+60, 2025-01-09 09:00+60, 2025-01-16 09:00+60");
}

static void
test_monthly_day_31 (void)
{
  PigeonRecurrence rule = rule_of (PIGEON_RECURRENCE_MONTHLY, 1);
  g_autofree char *got = NULL;

  rule.day_of_month = 31;
  rule.occurrences = 5;
  g_assert_true (pigeon_recurrence_normalize (&rule));
  /* a month without a 31st has it on its last day, as Outlook and Exchange do */
  got = expand_all (&rule, UTC, "2024-01-31T12:00:00", 10);
  g_assert_cmpstr (got, ==, "2024-01-31 12:00+60, 2024-02-29 12:00+60, 2024-03-31 12:00+60, "
                            "2024-04-30 12:00+60, 2024-05-31 12:00+60");
}

static void
test_monthly_nth (void)
{
  PigeonRecurrence rule = rule_of (PIGEON_RECURRENCE_MONTHLY_NTH, 1);
  g_autofree char *last = NULL, *second = NULL;

  /* the last Friday of every month */
  rule.day_of_week = 32;
  rule.week_of_month = 5;
  rule.occurrences = 4;
  g_assert_true (pigeon_recurrence_normalize (&rule));
  last = expand_all (&rule, UTC, "2025-01-31T15:00:00", 10);
  g_assert_cmpstr (last, ==, "2025-01-31 15:00+60, 2025-02-28 15:00+60, 2025-03-28 15:00+60, "
                             "2025-04-25 15:00+60");

  /* the second Tuesday of every third month */
  rule = rule_of (PIGEON_RECURRENCE_MONTHLY_NTH, 3);
  rule.day_of_week = 4;
  rule.week_of_month = 2;
  rule.occurrences = 3;
  g_assert_true (pigeon_recurrence_normalize (&rule));
  second = expand_all (&rule, UTC, "2025-01-14T15:00:00", 10);
  g_assert_cmpstr (second, ==, "2025-01-14 15:00+60, 2025-04-08 15:00+60, 2025-07-08 15:00+60");
}

static void
test_yearly (void)
{
  PigeonRecurrence rule = rule_of (PIGEON_RECURRENCE_YEARLY, 1);
  g_autofree char *leap = NULL, *nth = NULL;

  rule.day_of_month = 29;
  rule.month_of_year = 2;
  rule.occurrences = 3;
  g_assert_true (pigeon_recurrence_normalize (&rule));
  leap = expand_all (&rule, UTC, "2024-02-29T08:00:00", 10);
  g_assert_cmpstr (leap, ==, "2024-02-29 08:00+60, 2025-02-28 08:00+60, 2026-02-28 08:00+60");

  /* the fourth Thursday of November */
  rule = rule_of (PIGEON_RECURRENCE_YEARLY_NTH, 1);
  rule.day_of_week = 16;
  rule.week_of_month = 4;
  rule.month_of_year = 11;
  rule.occurrences = 3;
  g_assert_true (pigeon_recurrence_normalize (&rule));
  nth = expand_all (&rule, UTC, "2024-11-28T18:00:00", 10);
  g_assert_cmpstr (nth, ==, "2024-11-28 18:00+60, 2025-11-27 18:00+60, 2026-11-26 18:00+60");
}

/* ------------------------------------------------------------------ ends */

static void
test_until_and_occurrences (void)
{
  PigeonRecurrence rule = rule_of (PIGEON_RECURRENCE_WEEKLY, 1);
  g_autofree char *until_time = NULL, *until_date = NULL, *count = NULL, *both = NULL;

  /* Until at the last occurrence's start includes it */
  rule.until = at (UTC, "2025-01-15T09:00:00");
  g_assert_true (pigeon_recurrence_normalize (&rule));
  until_time = expand_all (&rule, UTC, "2025-01-01T09:00:00", 50);
  g_assert_cmpstr (until_time, ==, "2025-01-01 09:00+60, 2025-01-08 09:00+60, 2025-01-15 09:00+60");

  /* Until as a bare date (midnight UTC) means that whole day */
  rule.until = at (UTC, "2025-01-15T00:00:00");
  until_date = expand_all (&rule, UTC, "2025-01-01T09:00:00", 50);
  g_assert_cmpstr (until_date, ==, until_time);

  /* a minute before: that one is gone */
  rule.until = at (UTC, "2025-01-15T08:59:00");
  g_free (until_time);
  until_time = expand_all (&rule, UTC, "2025-01-01T09:00:00", 50);
  g_assert_cmpstr (until_time, ==, "2025-01-01 09:00+60, 2025-01-08 09:00+60");

  rule.until = 0;
  rule.occurrences = 2;
  count = expand_all (&rule, UTC, "2025-01-01T09:00:00", 50);
  g_assert_cmpstr (count, ==, "2025-01-01 09:00+60, 2025-01-08 09:00+60");

  /* a count and an end: whichever comes first */
  rule.occurrences = 10;
  rule.until = at (UTC, "2025-01-08T09:00:00");
  both = expand_all (&rule, UTC, "2025-01-01T09:00:00", 50);
  g_assert_cmpstr (both, ==, count);

  /* an open-ended series stops at MAX */
  rule.occurrences = 0;
  rule.until = 0;
  g_free (count);
  count = expand_all (&rule, UTC, "2025-01-01T09:00:00", 3);
  g_assert_cmpstr (count, ==, "2025-01-01 09:00+60, 2025-01-08 09:00+60, 2025-01-15 09:00+60");
}

/* ------------------------------------------------------------------ exceptions */

static void
test_exceptions (void)
{
  PigeonRecurrence rule = rule_of (PIGEON_RECURRENCE_WEEKLY, 1);
  PigeonEventException exceptions[] = {
    /* the 8th is cancelled */
    { at (UTC, "2025-01-08T09:00:00"), TRUE },
    /* the 15th moves to the 16th at 14:00 for 30 minutes, renamed */
    { at (UTC, "2025-01-15T09:00:00"), FALSE, at (UTC, "2025-01-16T14:00:00"),
      at (UTC, "2025-01-16T14:30:00"), (char *) "Moved sync", NULL },
    /* the 22nd only changes its subject */
    { at (UTC, "2025-01-22T09:00:00"), FALSE, 0, 0, (char *) "Renamed", NULL },
  };
  g_autofree char *got = NULL, *window = NULL, *into = NULL;
  g_autoptr(GTimeZone) tz = pigeon_recurrence_time_zone_new (UTC);
  g_autoptr(GArray) occurrences = NULL;

  rule.occurrences = 5;
  g_assert_true (pigeon_recurrence_normalize (&rule));
  /* a deleted occurrence still counts towards Occurrences */
  got = expand (&rule, UTC, "2025-01-01T09:00:00", 60, FALSE, exceptions,
                G_N_ELEMENTS (exceptions), 0, G_MAXINT64, 50);
  g_assert_cmpstr (got, ==, "2025-01-01 09:00+60, 2025-01-16 14:00+30, 2025-01-22 09:00+60, "
                            "2025-01-29 09:00+60");

  occurrences = pigeon_recurrence_expand (&rule, tz, at (UTC, "2025-01-01T09:00:00"),
                                          at (UTC, "2025-01-01T10:00:00"), FALSE, exceptions,
                                          G_N_ELEMENTS (exceptions), 0, G_MAXINT64, 50);
  g_assert_cmpint (g_array_index (occurrences, PigeonOccurrence, 1).exception, ==, 1);
  g_assert_cmpint (g_array_index (occurrences, PigeonOccurrence, 1).original_start, ==,
                   at (UTC, "2025-01-15T09:00:00"));
  g_assert_cmpint (g_array_index (occurrences, PigeonOccurrence, 2).exception, ==, 2);
  g_assert_cmpint (g_array_index (occurrences, PigeonOccurrence, 3).exception, ==, -1);

  /* a window holding only the original slot of the moved one: it is not there */
  window = expand (&rule, UTC, "2025-01-01T09:00:00", 60, FALSE, exceptions,
                   G_N_ELEMENTS (exceptions), at (UTC, "2025-01-15T00:00:00"),
                   at (UTC, "2025-01-16T00:00:00"), 50);
  g_assert_cmpstr (window, ==, "");
  /* and one holding only where it moved to: it is */
  into = expand (&rule, UTC, "2025-01-01T09:00:00", 60, FALSE, exceptions,
                 G_N_ELEMENTS (exceptions), at (UTC, "2025-01-16T00:00:00"),
                 at (UTC, "2025-01-17T00:00:00"), 50);
  g_assert_cmpstr (into, ==, "2025-01-16 14:00+30");
}

static void
test_exception_first_occurrence (void)
{
  PigeonRecurrence rule = rule_of (PIGEON_RECURRENCE_DAILY, 1);
  PigeonEventException deleted = { at (UTC, "2025-03-01T09:00:00"), TRUE };
  g_autofree char *got = NULL;

  rule.occurrences = 3;
  g_assert_true (pigeon_recurrence_normalize (&rule));
  got = expand (&rule, UTC, "2025-03-01T09:00:00", 60, FALSE, &deleted, 1, 0, G_MAXINT64, 10);
  g_assert_cmpstr (got, ==, "2025-03-02 09:00+60, 2025-03-03 09:00+60");
}

/* ------------------------------------------------------------------ time zones */

static void
test_dst_boundary (void)
{
  PigeonRecurrence rule = rule_of (PIGEON_RECURRENCE_WEEKLY, 1);
  g_autoptr(GTimeZone) tz = pigeon_recurrence_time_zone_new (BERLIN);
  g_autoptr(GArray) occurrences = NULL;
  g_autofree char *local = NULL;

  rule.occurrences = 3;
  g_assert_true (pigeon_recurrence_normalize (&rule));
  /* 09:00 in Berlin before and after the change to summer time on 30 March 2025 */
  local = expand_all (&rule, BERLIN, "2025-03-23T09:00:00", 10);
  g_assert_cmpstr (local, ==, "2025-03-23 09:00+60, 2025-03-30 09:00+60, 2025-04-06 09:00+60");
  occurrences = pigeon_recurrence_expand (&rule, tz, at (BERLIN, "2025-03-23T09:00:00"),
                                          at (BERLIN, "2025-03-23T10:00:00"), FALSE, NULL, 0,
                                          0, G_MAXINT64, 10);
  g_assert_cmpint (g_array_index (occurrences, PigeonOccurrence, 0).starts_at, ==,
                   at (UTC, "2025-03-23T08:00:00"));
  g_assert_cmpint (g_array_index (occurrences, PigeonOccurrence, 1).starts_at, ==,
                   at (UTC, "2025-03-30T07:00:00"));
}

static void
test_all_day (void)
{
  PigeonRecurrence rule = rule_of (PIGEON_RECURRENCE_DAILY, 1);
  g_autofree char *got = NULL;

  rule.occurrences = 3;
  g_assert_true (pigeon_recurrence_normalize (&rule));
  /* all day from local midnight to midnight: 23 hours on the day the clocks go forward */
  got = expand (&rule, BERLIN, "2025-03-29T00:00:00", 24 * 60, TRUE, NULL, 0, 0, G_MAXINT64, 10);
  g_assert_cmpstr (got, ==, "2025-03-29 00:00+1440, 2025-03-30 00:00+1380, "
                            "2025-03-31 00:00+1440");
}

static void
test_weekday_in_event_time_zone (void)
{
  PigeonRecurrence rule = rule_of (PIGEON_RECURRENCE_WEEKLY, 1);
  g_autofree char *got = NULL;

  /* Monday 00:30 in Berlin is Sunday in UTC: the rule means Berlin's Monday */
  rule.day_of_week = 2;
  rule.occurrences = 2;
  g_assert_true (pigeon_recurrence_normalize (&rule));
  got = expand_all (&rule, BERLIN, "2025-01-06T00:30:00", 10);
  g_assert_cmpstr (got, ==, "2025-01-06 00:30+60, 2025-01-13 00:30+60");
}

static GBytes *
tz_info (gint32 bias,
         gint32 standard_bias,
         gint32 daylight_bias,
         const guint16 standard[8],
         const guint16 daylight[8])
{
  guint8 *data = g_malloc0 (172);

  memcpy (data, &bias, 4);
  for (guint i = 0; i < 8; i++)
    {
      data[68 + 2 * i] = standard[i] & 0xff;
      data[69 + 2 * i] = standard[i] >> 8;
      data[152 + 2 * i] = daylight[i] & 0xff;
      data[153 + 2 * i] = daylight[i] >> 8;
    }
  memcpy (data + 84, &standard_bias, 4);
  memcpy (data + 168, &daylight_bias, 4);
  return g_bytes_new_take (data, 172);
}

static void
test_windows_time_zone (void)
{
  /* US Eastern: the first Sunday of November at 2:00, the second Sunday of March at 2:00 */
  static const guint16 november[8] = { 0, 11, 0, 1, 2, 0, 0, 0 };
  static const guint16 march[8] = { 0, 3, 0, 2, 2, 0, 0, 0 };
  static const guint16 none[8] = { 0 };
  /* what SOGo sends for UTC: stray bytes where the standard date would be */
  static const char sogo_utc[] =
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "BwegAAEn8AAID0j27hVQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";
  g_autoptr(GBytes) eastern = tz_info (300, 0, -60, november, march);
  g_autoptr(GBytes) india = tz_info (-330, 0, 0, none, none);
  g_autoptr(GBytes) absurd = tz_info (100000, 0, -60, november, march);
  g_autofree char *eastern_id = NULL, *india_id = NULL, *sogo_id = NULL;
  g_autofree guint8 *sogo = NULL;
  gsize sogo_len = 0;
  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(GDateTime) winter = NULL, summer = NULL;

  eastern_id = pigeon_recurrence_time_zone_from_windows (g_bytes_get_data (eastern, NULL), 172);
  g_assert_cmpstr (eastern_id, ==, "XST+05:00XDT+04:00,M3.2.0/02:00:00,M11.1.0/02:00:00");
  tz = pigeon_recurrence_time_zone_new (eastern_id);
  winter = g_date_time_new (tz, 2025, 1, 15, 12, 0, 0);
  summer = g_date_time_new (tz, 2025, 7, 15, 12, 0, 0);
  g_assert_cmpint (g_date_time_get_utc_offset (winter), ==, -5 * G_TIME_SPAN_HOUR);
  g_assert_cmpint (g_date_time_get_utc_offset (summer), ==, -4 * G_TIME_SPAN_HOUR);

  india_id = pigeon_recurrence_time_zone_from_windows (g_bytes_get_data (india, NULL), 172);
  g_assert_cmpstr (india_id, ==, "XST-05:30");

  sogo = g_base64_decode (sogo_utc, &sogo_len);
  sogo_id = pigeon_recurrence_time_zone_from_windows (sogo, sogo_len);
  g_assert_cmpstr (sogo_id, ==, "XST+00:00");

  g_assert_null (pigeon_recurrence_time_zone_from_windows (g_bytes_get_data (absurd, NULL), 172));
  g_assert_null (pigeon_recurrence_time_zone_from_windows (sogo, 100));
  g_assert_null (pigeon_recurrence_time_zone_from_windows (NULL, 0));
}

/* ------------------------------------------------------------------ caps and nonsense */

static void
test_normalize (void)
{
  static const PigeonRecurrence refused[] = {
    { 4, 1 },                                           /* no such type */
    { 7, 1 },
    { -1, 1 },
    { PIGEON_RECURRENCE_MONTHLY, 1, 0, 0, 0, 32 },      /* day 32 */
    { PIGEON_RECURRENCE_MONTHLY, 1, 0, 0, 0, -3 },
    { PIGEON_RECURRENCE_YEARLY, 1, 0, 0, 0, 1, 0, 13 }, /* month 13 */
    { PIGEON_RECURRENCE_MONTHLY_NTH, 1, 0, 0, 4, 0, 0 },/* week 0 */
    { PIGEON_RECURRENCE_YEARLY_NTH, 1, 0, 0, 4, 0, 9 }, /* week 9 */
    { PIGEON_RECURRENCE_WEEKLY, 1, 0, 0, 200 },         /* days beyond Saturday */
  };
  PigeonRecurrence rule = rule_of (PIGEON_RECURRENCE_WEEKLY, 0);

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      PigeonRecurrence copy = refused[i];

      g_assert_false (pigeon_recurrence_normalize (&copy));
    }

  g_assert_true (pigeon_recurrence_normalize (&rule));
  g_assert_cmpint (rule.interval, ==, 1);
  rule.interval = -5;
  rule.occurrences = 1000000;
  rule.until = -7;
  rule.first_day_of_week = 9;
  g_assert_true (pigeon_recurrence_normalize (&rule));
  g_assert_cmpint (rule.interval, ==, 1);
  g_assert_cmpint (rule.occurrences, ==, PIGEON_RECURRENCE_MAX_OCCURRENCES);
  g_assert_cmpint (rule.until, ==, 0);
  g_assert_cmpint (rule.first_day_of_week, ==, 0);
  rule.interval = 100000;
  g_assert_true (pigeon_recurrence_normalize (&rule));
  g_assert_cmpint (rule.interval, ==, PIGEON_RECURRENCE_MAX_INTERVAL);
}

static void
test_caps (void)
{
  PigeonRecurrence rule = rule_of (PIGEON_RECURRENCE_DAILY, 1);
  g_autoptr(GTimeZone) tz = pigeon_recurrence_time_zone_new (UTC);
  g_autoptr(GArray) many = NULL, huge_interval = NULL, zero = NULL;
  gint64 start = at (UTC, "2025-01-01T09:00:00");

  g_assert_true (pigeon_recurrence_normalize (&rule));
  /* an open-ended daily rule over all time gives the cap, not a hang */
  many = pigeon_recurrence_expand (&rule, tz, start, start + 3600, FALSE, NULL, 0, G_MININT64,
                                   G_MAXINT64, G_MAXUINT);
  g_assert_cmpuint (many->len, ==, PIGEON_RECURRENCE_MAX_EXPANDED);

  /* the largest interval, yearly, until the calendar ends: a handful, then the year 9999 */
  rule = rule_of (PIGEON_RECURRENCE_YEARLY, 100000);
  g_assert_true (pigeon_recurrence_normalize (&rule));
  huge_interval = pigeon_recurrence_expand (&rule, tz, start, start + 3600, FALSE, NULL, 0, 0,
                                            G_MAXINT64, 100);
  g_assert_cmpuint (huge_interval->len, ==, 8);   /* 2025, 3024, … 9018 */

  /* MAX 0 and an empty window give nothing */
  zero = pigeon_recurrence_expand (&rule, tz, start, start + 3600, FALSE, NULL, 0, 0,
                                   G_MAXINT64, 0);
  g_assert_cmpuint (zero->len, ==, 0);
  g_clear_pointer (&zero, g_array_unref);
  zero = pigeon_recurrence_expand (&rule, tz, start, start + 3600, FALSE, NULL, 0, start + 10,
                                   start, 10);
  g_assert_cmpuint (zero->len, ==, 0);
}

static void
test_malformed (void)
{
  PigeonRecurrence rule = rule_of (PIGEON_RECURRENCE_MONTHLY_NTH, 1);
  g_autoptr(GTimeZone) tz = pigeon_recurrence_time_zone_new (UTC);
  PigeonEventException exceptions[PIGEON_RECURRENCE_MAX_EXCEPTIONS + 5] = { 0 };
  static const gint64 starts[] = { G_MININT64, -1, 0, 253402300799, 253402300800, G_MAXINT64 };
  g_autoptr(GArray) before = NULL;

  rule.day_of_week = 127;
  rule.week_of_month = 5;
  g_assert_true (pigeon_recurrence_normalize (&rule));
  for (guint i = 0; i < G_N_ELEMENTS (exceptions); i++)
    {
      exceptions[i].original_start = (gint64) i * 86400 * 29 - 1000000;
      exceptions[i].deleted = i % 2;
      exceptions[i].starts_at = i % 3 == 0 ? G_MAXINT64 - (gint64) i : 0;
      exceptions[i].ends_at = i % 5 == 0 ? G_MININT64 : 0;
    }
  /* starts at the ends of time, ends before starts, exceptions everywhere: no crash, and
   * never more than asked */
  for (guint i = 0; i < G_N_ELEMENTS (starts); i++)
    {
      gint64 ends = starts[i] > G_MININT64 + 100 ? starts[i] - 100 : starts[i];
      g_autoptr(GArray) out = pigeon_recurrence_expand (&rule, tz, starts[i], ends,
                                                        i % 2, exceptions,
                                                        G_N_ELEMENTS (exceptions), G_MININT64,
                                                        G_MAXINT64, 50);

      g_assert_cmpuint (out->len, <=, 50);
      for (guint j = 1; j < out->len; j++)
        g_assert_cmpint (g_array_index (out, PigeonOccurrence, j - 1).starts_at, <=,
                         g_array_index (out, PigeonOccurrence, j).starts_at);
    }

  /* an Until before the start: the event itself, once */
  rule = rule_of (PIGEON_RECURRENCE_DAILY, 1);
  rule.until = at (UTC, "2024-01-01T00:00:00");
  g_assert_true (pigeon_recurrence_normalize (&rule));
  before = pigeon_recurrence_expand (&rule, tz, at (UTC, "2025-01-01T09:00:00"),
                                     at (UTC, "2025-01-01T10:00:00"), FALSE, NULL, 0, 0,
                                     G_MAXINT64, 10);
  g_assert_cmpuint (before->len, ==, 1);
}

/* A series that began years ago: its next occurrences are found without walking from
 * its start, and are the same as a walk from its start finds. */
static void
test_long_past_start (void)
{
  static const PigeonRecurrence rules[] = {
    { PIGEON_RECURRENCE_DAILY, 3 },
    { PIGEON_RECURRENCE_DAILY, 1, 0, 0, 62 },
    { PIGEON_RECURRENCE_WEEKLY, 2, 0, 0, 2 | 32, 0, 0, 0, 1 },
    { PIGEON_RECURRENCE_MONTHLY, 1, 0, 0, 0, 31 },
    { PIGEON_RECURRENCE_MONTHLY_NTH, 2, 0, 0, 8, 0, 5 },
    { PIGEON_RECURRENCE_YEARLY, 1, 0, 0, 0, 29, 0, 2 },
    { PIGEON_RECURRENCE_YEARLY_NTH, 1, 0, 0, 1, 0, 1, 3 },
  };
  g_autoptr(GTimeZone) tz = pigeon_recurrence_time_zone_new (BERLIN);
  gint64 start = at (BERLIN, "2022-01-31T09:15:00");
  gint64 from = at (BERLIN, "2025-06-01T00:00:00");

  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    {
      PigeonRecurrence rule = rules[i];
      g_autoptr(GArray) walked = NULL, skipped = NULL;
      guint first = 0;

      g_assert_true (pigeon_recurrence_normalize (&rule));
      walked = pigeon_recurrence_expand (&rule, tz, start, start + 1800, FALSE, NULL, 0, 0,
                                         G_MAXINT64, PIGEON_RECURRENCE_MAX_EXPANDED);
      skipped = pigeon_recurrence_expand (&rule, tz, start, start + 1800, FALSE, NULL, 0, from,
                                          G_MAXINT64, 5);
      while (first < walked->len &&
             g_array_index (walked, PigeonOccurrence, first).ends_at <= from)
        first++;
      g_test_message ("rule %u: %u walked, the first upcoming is #%u", i, walked->len, first);
      g_assert_cmpuint (skipped->len, ==, 5);
      g_assert_cmpuint (first + 5, <=, walked->len);
      for (guint j = 0; j < 5; j++)
        g_assert_cmpint (g_array_index (skipped, PigeonOccurrence, j).starts_at, ==,
                         g_array_index (walked, PigeonOccurrence, first + j).starts_at);
    }
}

/* A daily series from the year 100 still has tomorrow's occurrence: far more days than
 * any walk may take lie before it. */
static void
test_ancient_start (void)
{
  PigeonRecurrence rule = rule_of (PIGEON_RECURRENCE_DAILY, 1);
  g_autofree char *got = NULL;

  g_assert_true (pigeon_recurrence_normalize (&rule));
  got = expand (&rule, UTC, "0100-03-01T07:00:00", 60, FALSE, NULL, 0,
                at (UTC, "2025-06-01T00:00:00"), at (UTC, "2025-06-03T00:00:00"), 10);
  g_assert_cmpstr (got, ==, "2025-06-01 07:00+60, 2025-06-02 07:00+60");
}

/* Occurrences that began before the window and still run are in it, however long ago the
 * series began. */
static void
test_running_occurrence (void)
{
  PigeonRecurrence rule = rule_of (PIGEON_RECURRENCE_DAILY, 1);
  g_autofree char *got = NULL;

  g_assert_true (pigeon_recurrence_normalize (&rule));
  got = expand (&rule, UTC, "2020-01-01T09:00:00", 3 * 24 * 60, FALSE, NULL, 0,
                at (UTC, "2025-06-10T12:00:00"), at (UTC, "2025-06-10T13:00:00"), 10);
  g_assert_cmpstr (got, ==, "2025-06-08 09:00+4320, 2025-06-09 09:00+4320, "
                            "2025-06-10 09:00+4320");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/recurrence/daily", test_daily);
  g_test_add_func ("/recurrence/weekly", test_weekly);
  g_test_add_func ("/recurrence/monthly-day-31", test_monthly_day_31);
  g_test_add_func ("/recurrence/monthly-nth", test_monthly_nth);
  g_test_add_func ("/recurrence/yearly", test_yearly);
  g_test_add_func ("/recurrence/until-and-occurrences", test_until_and_occurrences);
  g_test_add_func ("/recurrence/exceptions", test_exceptions);
  g_test_add_func ("/recurrence/exception-first-occurrence", test_exception_first_occurrence);
  g_test_add_func ("/recurrence/dst-boundary", test_dst_boundary);
  g_test_add_func ("/recurrence/all-day", test_all_day);
  g_test_add_func ("/recurrence/weekday-in-event-time-zone", test_weekday_in_event_time_zone);
  g_test_add_func ("/recurrence/windows-time-zone", test_windows_time_zone);
  g_test_add_func ("/recurrence/normalize", test_normalize);
  g_test_add_func ("/recurrence/caps", test_caps);
  g_test_add_func ("/recurrence/malformed", test_malformed);
  g_test_add_func ("/recurrence/long-past-start", test_long_past_start);
  g_test_add_func ("/recurrence/ancient-start", test_ancient_start);
  g_test_add_func ("/recurrence/running-occurrence", test_running_occurrence);

  return g_test_run ();
}
