/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-store"

#include "config.h"

#include <string.h>

#include "pigeon-recurrence.h"

/* A bound on the periods (days, weeks, months, years) one expansion walks, whatever the
 * rule: every period of a normalized rule yields an occurrence, so the caps on counts end
 * the walk long before; this one only guards against a mistake. */
#define MAX_PERIODS 100000
#define SECONDS_PER_DAY 86400
#define ALL_WEEKDAYS 0x7f
#define TZ_INFO_SIZE 172
/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: times outside are clamped, so sums of
 * times and durations cannot overflow */
#define MIN_TIME G_GINT64_CONSTANT (-62135596800)
#define MAX_TIME G_GINT64_CONSTANT (253402300799)

void
pigeon_event_exception_clear (gpointer data)
{
  PigeonEventException *exception = data;

  g_clear_pointer (&exception->subject, g_free);
  g_clear_pointer (&exception->location, g_free);
}

GArray *
pigeon_event_exceptions_new (void)
{
  GArray *array = g_array_new (FALSE, TRUE, sizeof (PigeonEventException));

  g_array_set_clear_func (array, pigeon_event_exception_clear);
  return array;
}

/* ------------------------------------------------------------------ rules */

gboolean
pigeon_recurrence_normalize (PigeonRecurrence *rule)
{
  g_return_val_if_fail (rule != NULL, FALSE);

  switch ((gint) rule->type)
    {
    case PIGEON_RECURRENCE_DAILY:
    case PIGEON_RECURRENCE_WEEKLY:
    case PIGEON_RECURRENCE_MONTHLY:
    case PIGEON_RECURRENCE_MONTHLY_NTH:
    case PIGEON_RECURRENCE_YEARLY:
    case PIGEON_RECURRENCE_YEARLY_NTH:
      break;
    default:
      return FALSE;
    }

  rule->interval = CLAMP (rule->interval, 1, PIGEON_RECURRENCE_MAX_INTERVAL);
  rule->occurrences = CLAMP (rule->occurrences, 0, PIGEON_RECURRENCE_MAX_OCCURRENCES);
  rule->until = MAX (rule->until, 0);
  if (rule->day_of_week < 0 || rule->day_of_week > ALL_WEEKDAYS)
    return FALSE;
  if (rule->first_day_of_week < 0 || rule->first_day_of_week > 6)
    rule->first_day_of_week = 0;

  /* 0 for a day or month means "the series' start's", as servers leave them out */
  if (rule->day_of_month < 0 || rule->day_of_month > 31 ||
      rule->month_of_year < 0 || rule->month_of_year > 12)
    return FALSE;
  if ((rule->type == PIGEON_RECURRENCE_MONTHLY_NTH || rule->type == PIGEON_RECURRENCE_YEARLY_NTH) &&
      (rule->week_of_month < 1 || rule->week_of_month > 5))
    return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------ time zones */

typedef struct
{
  guint year, month, day_of_week, day, hour, minute, second;
} SystemTime;

static gint32
read_le32 (const guint8 *p)
{
  return (gint32) ((guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 |
                   (guint32) p[3] << 24);
}

static guint
read_le16 (const guint8 *p)
{
  return (guint) p[0] | (guint) p[1] << 8;
}

static SystemTime
read_system_time (const guint8 *p)
{
  SystemTime t = {
    read_le16 (p), read_le16 (p + 2), read_le16 (p + 4), read_le16 (p + 6),
    read_le16 (p + 8), read_le16 (p + 10), read_le16 (p + 12),
  };

  return t;
}

/* A yearly transition ("the Nth weekday of a month at a time"), the only kind kept. */
static gboolean
yearly_transition (const SystemTime *t)
{
  return t->year == 0 && t->month >= 1 && t->month <= 12 && t->day_of_week <= 6 &&
         t->day >= 1 && t->day <= 5 && t->hour <= 23 && t->minute <= 59 && t->second <= 59;
}

/* POSIX offsets count minutes west of Greenwich, as Windows biases do. */
static void
append_offset (GString *out,
               gint     minutes)
{
  g_string_append_printf (out, "%c%02d:%02d", minutes < 0 ? '-' : '+', ABS (minutes) / 60,
                          ABS (minutes) % 60);
}

static void
append_transition (GString          *out,
                   const SystemTime *t)
{
  g_string_append_printf (out, ",M%u.%u.%u/%02u:%02u:%02u", t->month, t->day, t->day_of_week,
                          t->hour, t->minute, t->second);
}

char *
pigeon_recurrence_time_zone_from_windows (const guint8 *data,
                                          gsize         len)
{
  gint32 bias, standard_bias, daylight_bias;
  SystemTime standard, daylight;
  GString *out;

  if (data == NULL || len != TZ_INFO_SIZE)
    return NULL;
  bias = read_le32 (data);
  standard = read_system_time (data + 68);
  standard_bias = read_le32 (data + 84);
  daylight = read_system_time (data + 152);
  daylight_bias = read_le32 (data + 168);

  /* real zones lie within ±14 hours; anything else is not a time zone */
  if (ABS ((gint64) bias) > 14 * 60 || ABS ((gint64) standard_bias) > 14 * 60 ||
      ABS ((gint64) daylight_bias) > 14 * 60 || ABS (bias + standard_bias) > 14 * 60 ||
      ABS (bias + daylight_bias) > 14 * 60)
    return NULL;

  out = g_string_new ("XST");
  append_offset (out, bias + standard_bias);
  if (yearly_transition (&standard) && yearly_transition (&daylight) &&
      daylight_bias != standard_bias)
    {
      g_string_append (out, "XDT");
      append_offset (out, bias + daylight_bias);
      /* POSIX names the start of daylight time first; both times are local wall time */
      append_transition (out, &daylight);
      append_transition (out, &standard);
    }
  return g_string_free (out, FALSE);
}

GTimeZone *
pigeon_recurrence_time_zone_new (const char *identifier)
{
  GTimeZone *tz = NULL;

  if (identifier != NULL && *identifier != '\0')
    tz = g_time_zone_new_identifier (identifier);
  return tz != NULL ? tz : g_time_zone_new_local ();
}

/* ------------------------------------------------------------------ expansion */

typedef struct
{
  const PigeonRecurrence     *rule;
  GTimeZone                  *tz;
  gboolean                    all_day;
  gint64                      duration;      /* seconds, timed events */
  guint                       all_day_days;  /* days, all-day events */
  guint32                     day0;          /* the first occurrence's local day (Julian) */
  gint                        year0, month0, mday0;
  gint                        hour, minute, second;
  gint                        mask;          /* weekdays, bit 0 Sunday */
  gint                        day_of_month;
  gint                        month_of_year;
  guint32                     week0;         /* the first day of day0's week */
  guint32                     last_day;      /* 31 December 9999 */
  const PigeonEventException *exceptions;
  GHashTable                 *exception_days;  /* local day → index + 1 */
  gint64                      from, to;
  guint                       max;
  GArray                     *out;
} Expansion;

static gint
weekday_of (guint32 julian)
{
  GDate date;

  g_date_clear (&date, 1);
  g_date_set_julian (&date, julian);
  return g_date_get_weekday (&date) % 7;   /* 0 Sunday … 6 Saturday */
}

/* The local day of T in TZ (0 when out of range) and its wall-clock time. */
static guint32
local_day (GTimeZone *tz,
           gint64     t,
           gint      *hour,
           gint      *minute,
           gint      *second)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (t);
  g_autoptr(GDateTime) local = NULL;
  GDate date;

  if (utc == NULL)
    return 0;
  local = g_date_time_to_timezone (utc, tz);
  if (local == NULL)
    return 0;
  if (hour != NULL)
    {
      *hour = g_date_time_get_hour (local);
      *minute = g_date_time_get_minute (local);
      *second = g_date_time_get_second (local);
    }
  g_date_clear (&date, 1);
  g_date_set_dmy (&date, g_date_time_get_day_of_month (local), g_date_time_get_month (local),
                  g_date_time_get_year (local));
  return g_date_get_julian (&date);
}

/* JULIAN at a wall-clock time in TZ, as UTC seconds; a time skipped by a daylight saving
 * change moves forward as GDateTime does. */
static gboolean
wall_time (GTimeZone *tz,
           guint32    julian,
           gint       hour,
           gint       minute,
           gint       second,
           gint64    *out)
{
  g_autoptr(GDateTime) dt = NULL;
  GDate date;

  if (!g_date_valid_julian (julian))
    return FALSE;
  g_date_clear (&date, 1);
  g_date_set_julian (&date, julian);
  dt = g_date_time_new (tz, g_date_get_year (&date), g_date_get_month (&date),
                        g_date_get_day (&date), hour, minute, second);
  if (dt == NULL)
    return FALSE;
  *out = g_date_time_to_unix (dt);
  return TRUE;
}

static gboolean
occurrence_times (const Expansion *e,
                  guint32          julian,
                  gint64          *start,
                  gint64          *end)
{
  if (e->all_day)
    return wall_time (e->tz, julian, 0, 0, 0, start) &&
           wall_time (e->tz, julian + e->all_day_days, 0, 0, 0, end);
  if (!wall_time (e->tz, julian, e->hour, e->minute, e->second, start))
    return FALSE;
  *end = *start + e->duration;
  return TRUE;
}

static guint32
julian_of (gint year,
           gint month,
           gint day)
{
  GDate date;

  if (year < 1 || year > 9999)
    return 0;
  day = MIN (day, g_date_get_days_in_month (month, year));
  g_date_clear (&date, 1);
  g_date_set_dmy (&date, day, month, year);
  return g_date_get_julian (&date);
}

/* The NTH (1–4, 5: the last) day of MONTH whose weekday is in MASK. */
static guint32
nth_in_month (gint year,
              gint month,
              gint mask,
              gint nth)
{
  guint32 first = julian_of (year, month, 1);
  gint days;
  gint seen = 0;

  if (first == 0)
    return 0;
  days = g_date_get_days_in_month (month, year);
  if (nth == 5)
    {
      for (gint d = days - 1; d >= 0; d--)
        if (mask & (1 << weekday_of (first + d)))
          return first + d;
      return 0;
    }
  for (gint d = 0; d < days; d++)
    if ((mask & (1 << weekday_of (first + d))) && ++seen == nth)
      return first + d;
  return 0;
}

/* The days of period K of the rule, ascending, into DAYS (room for 7); -1 when the period
 * lies beyond the year 9999. */
static gint
period_days (const Expansion *e,
             gint64           k,
             guint32         *days)
{
  const PigeonRecurrence *rule = e->rule;
  gint64 interval = rule->interval;
  gint64 month_index;
  gint n = 0;

  switch (rule->type)
    {
    case PIGEON_RECURRENCE_DAILY:
      if (rule->day_of_week == 0)
        {
          gint64 day = e->day0 + k * interval;

          if (day > e->last_day)
            return -1;
          days[n++] = day;
          return n;
        }
      /* "every weekday": the days of the mask, week after week */
      interval = 1;
      G_GNUC_FALLTHROUGH;
    case PIGEON_RECURRENCE_WEEKLY:
      {
        gint64 week = e->week0 + k * interval * 7;

        if (week + 6 > e->last_day)
          return -1;
        for (gint i = 0; i < 7; i++)
          if (e->mask & (1 << ((rule->first_day_of_week + i) % 7)))
            days[n++] = week + i;
        return n;
      }
    case PIGEON_RECURRENCE_MONTHLY:
    case PIGEON_RECURRENCE_MONTHLY_NTH:
      month_index = (gint64) e->year0 * 12 + (e->month0 - 1) + k * interval;
      if (month_index / 12 > 9999)
        return -1;
      days[0] = rule->type == PIGEON_RECURRENCE_MONTHLY
                  ? julian_of (month_index / 12, month_index % 12 + 1, e->day_of_month)
                  : nth_in_month (month_index / 12, month_index % 12 + 1, e->mask,
                                  rule->week_of_month);
      return days[0] != 0 ? 1 : 0;
    case PIGEON_RECURRENCE_YEARLY:
    case PIGEON_RECURRENCE_YEARLY_NTH:
      if (e->year0 + k * interval > 9999)
        return -1;
      days[0] = rule->type == PIGEON_RECURRENCE_YEARLY
                  ? julian_of (e->year0 + k * interval, e->month_of_year, e->day_of_month)
                  : nth_in_month (e->year0 + k * interval, e->month_of_year, e->mask,
                                  rule->week_of_month);
      return days[0] != 0 ? 1 : 0;
    default:
      g_assert_not_reached ();
    }
}

/* A period that surely starts before FROM, so a long series need not be walked from its
 * start.  Only for series without a count: a count needs every occurrence before. */
static gint64
first_period (const Expansion *e,
              gint64           starts_at)
{
  const PigeonRecurrence *rule = e->rule;
  gint64 span_days, period_days_min;

  if (rule->occurrences > 0 || e->from <= starts_at)
    return 0;
  /* an occurrence that began before FROM may still be running: look a duration earlier
   * (both times lie within MIN_TIME…MAX_TIME here, so this cannot overflow) */
  span_days = (MIN (e->from, MAX_TIME) - starts_at - e->duration) / SECONDS_PER_DAY - 1;
  if (span_days <= 0)
    return 0;
  switch (rule->type)
    {
    case PIGEON_RECURRENCE_DAILY:
      period_days_min = rule->day_of_week == 0 ? rule->interval : 7;
      break;
    case PIGEON_RECURRENCE_WEEKLY:
      period_days_min = 7 * (gint64) rule->interval;
      break;
    case PIGEON_RECURRENCE_MONTHLY:
    case PIGEON_RECURRENCE_MONTHLY_NTH:
      period_days_min = 31 * (gint64) rule->interval;
      break;
    default:
      period_days_min = 366 * (gint64) rule->interval;
      break;
    }
  return MAX (0, span_days / period_days_min - 1);
}

static gboolean
overlaps (const Expansion *e,
          gint64           start,
          gint64           end)
{
  return start < e->to && (end > e->from || start >= e->from);
}

static void
add (Expansion *e,
     gint64     start,
     gint64     end,
     gint64     original,
     gint       exception)
{
  PigeonOccurrence occurrence = { start, MAX (start, end), original, exception };

  g_array_append_val (e->out, occurrence);
}

/* One occurrence by the rule; FALSE once nothing later can be wanted. */
static gboolean
consider (Expansion *e,
          guint32    julian,
          gint64     start,
          gint64     end)
{
  if (start >= e->to)
    return FALSE;
  /* a changed or deleted occurrence: the exceptions speak for it */
  if (g_hash_table_contains (e->exception_days, GUINT_TO_POINTER (julian)))
    return TRUE;
  if (overlaps (e, start, end))
    add (e, start, end, start, -1);
  return e->out->len < e->max;
}

static void
add_moved (Expansion *e,
           gint64     starts_at,
           gint64     ends_at)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, e->exception_days);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      guint32 julian = GPOINTER_TO_UINT (key);
      const PigeonEventException *ex = &e->exceptions[GPOINTER_TO_UINT (value) - 1];
      gint64 original, original_end, start, end;

      if (ex->deleted)
        continue;
      if (julian == e->day0)
        {
          original = starts_at;
          original_end = ends_at;
        }
      else if (!occurrence_times (e, julian, &original, &original_end))
        continue;
      start = ex->starts_at != 0 ? CLAMP (ex->starts_at, MIN_TIME, MAX_TIME) : original;
      if (ex->ends_at != 0)
        end = CLAMP (ex->ends_at, MIN_TIME, MAX_TIME);
      else
        end = start + (original_end - original);
      if (overlaps (e, start, end))
        add (e, start, end, original, GPOINTER_TO_UINT (value) - 1);
    }
}

static gint
occurrence_compare (gconstpointer a,
                    gconstpointer b)
{
  const PigeonOccurrence *oa = a, *ob = b;

  if (oa->starts_at != ob->starts_at)
    return oa->starts_at < ob->starts_at ? -1 : 1;
  if (oa->original_start != ob->original_start)
    return oa->original_start < ob->original_start ? -1 : 1;
  return 0;
}

/* Walks the rule from the series' start: the first occurrence is the event itself. */
static void
walk_rule (Expansion *e,
           gint64     starts_at,
           gint64     ends_at)
{
  const PigeonRecurrence *rule = e->rule;
  guint32 until_day = 0;
  gboolean until_is_date = FALSE;
  gint64 k0 = first_period (e, starts_at);
  gint count = 1;

  if (rule->until > 0)
    {
      /* a date written as midnight UTC ("20260630T000000Z") means that whole day */
      until_is_date = rule->until % SECONDS_PER_DAY == 0;
      if (until_is_date)
        {
          g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();

          until_day = local_day (utc, rule->until, NULL, NULL, NULL);
        }
      else
        {
          until_day = local_day (e->tz, rule->until, NULL, NULL, NULL);
        }
      if (until_day == 0)
        until_day = e->last_day;
    }

  if (k0 == 0 && !consider (e, e->day0, starts_at, ends_at))
    return;
  if (rule->occurrences == 1)
    return;

  for (gint64 k = k0; k < k0 + MAX_PERIODS; k++)
    {
      guint32 days[7];
      gint n = period_days (e, k, days);

      if (n < 0)
        return;
      for (gint i = 0; i < n; i++)
        {
          gint64 start, end;

          if (days[i] <= e->day0)
            continue;
          if (until_day != 0 && days[i] > until_day)
            return;
          if (!occurrence_times (e, days[i], &start, &end))
            return;
          if (rule->until > 0 && !until_is_date && start > rule->until)
            return;
          if (!consider (e, days[i], start, end))
            return;
          if (rule->occurrences > 0 && ++count >= rule->occurrences)
            return;
        }
    }
}

GArray *
pigeon_recurrence_expand (const PigeonRecurrence     *rule,
                          GTimeZone                  *tz,
                          gint64                      starts_at,
                          gint64                      ends_at,
                          gboolean                    all_day,
                          const PigeonEventException *exceptions,
                          guint                       n_exceptions,
                          gint64                      from,
                          gint64                      to,
                          guint                       max)
{
  g_autoptr(GHashTable) exception_days = g_hash_table_new (NULL, NULL);
  Expansion e = { 0 };
  gint wday0;

  g_return_val_if_fail (tz != NULL, NULL);
  g_return_val_if_fail (exceptions != NULL || n_exceptions == 0, NULL);

  e.out = g_array_new (FALSE, FALSE, sizeof (PigeonOccurrence));
  e.max = MIN (max, PIGEON_RECURRENCE_MAX_EXPANDED);
  e.from = from;
  e.to = to;
  starts_at = CLAMP (starts_at, MIN_TIME, MAX_TIME);
  ends_at = CLAMP (ends_at, starts_at, MAX_TIME);
  if (e.max == 0 || from >= to)
    return e.out;

  e.rule = rule;
  e.tz = tz;
  e.all_day = all_day;
  e.duration = ends_at - starts_at;
  e.all_day_days = (guint) CLAMP ((e.duration + SECONDS_PER_DAY / 2) / SECONDS_PER_DAY, 1, 366);
  e.day0 = local_day (tz, starts_at, &e.hour, &e.minute, &e.second);
  e.exceptions = exceptions;
  e.exception_days = exception_days;
  e.last_day = julian_of (9999, 12, 31);

  /* a single event, or a start no calendar can place: that one occurrence */
  if (rule == NULL || e.day0 == 0)
    {
      if (overlaps (&e, starts_at, ends_at))
        add (&e, starts_at, ends_at, starts_at, -1);
      return e.out;
    }

  {
    GDate date;

    g_date_clear (&date, 1);
    g_date_set_julian (&date, e.day0);
    e.year0 = g_date_get_year (&date);
    e.month0 = g_date_get_month (&date);
    e.mday0 = g_date_get_day (&date);
  }
  wday0 = weekday_of (e.day0);
  e.mask = rule->day_of_week != 0 ? rule->day_of_week : 1 << wday0;
  e.day_of_month = rule->day_of_month != 0 ? rule->day_of_month : e.mday0;
  e.month_of_year = rule->month_of_year != 0 ? rule->month_of_year : e.month0;
  e.week0 = e.day0 - (wday0 - rule->first_day_of_week + 7) % 7;

  /* the first exception for a day counts; one before the series is nobody's */
  for (guint i = 0; i < MIN (n_exceptions, PIGEON_RECURRENCE_MAX_EXCEPTIONS); i++)
    {
      guint32 julian = local_day (tz, exceptions[i].original_start, NULL, NULL, NULL);

      if (julian >= e.day0 && !g_hash_table_contains (exception_days, GUINT_TO_POINTER (julian)))
        g_hash_table_insert (exception_days, GUINT_TO_POINTER (julian), GUINT_TO_POINTER (i + 1));
    }

  walk_rule (&e, starts_at, ends_at);
  add_moved (&e, starts_at, ends_at);
  g_array_sort (e.out, occurrence_compare);
  if (e.out->len > e.max)
    g_array_set_size (e.out, e.max);
  return e.out;
}
