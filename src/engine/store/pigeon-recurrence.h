/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Recurring calendar events as ActiveSync describes them ([MS-ASCAL] Calendar:Recurrence,
 * Calendar:Exceptions), and their expansion into occurrences.  Rules are computed on the
 * event's wall clock: in the time zone the event was made in, so a weekly meeting at 09:00
 * stays at 09:00 across a daylight saving change and "Monday" is Monday where it was meant.
 */

typedef enum
{
  PIGEON_RECURRENCE_DAILY       = 0,
  PIGEON_RECURRENCE_WEEKLY      = 1,
  PIGEON_RECURRENCE_MONTHLY     = 2,  /* on day N of the month */
  PIGEON_RECURRENCE_MONTHLY_NTH = 3,  /* on the Nth (or last) weekday of the month */
  PIGEON_RECURRENCE_YEARLY      = 5,  /* on day N of a month */
  PIGEON_RECURRENCE_YEARLY_NTH  = 6,  /* on the Nth (or last) weekday of a month */
} PigeonRecurrenceType;

/* The bounds [MS-ASCAL] gives; larger values from a server are clamped to them. */
#define PIGEON_RECURRENCE_MAX_INTERVAL     999
#define PIGEON_RECURRENCE_MAX_OCCURRENCES  999
/* At most this many occurrences come out of one expansion, whatever the caller asks. */
#define PIGEON_RECURRENCE_MAX_EXPANDED     1000
/* At most this many exceptions are kept per event. */
#define PIGEON_RECURRENCE_MAX_EXCEPTIONS   1000

typedef struct
{
  PigeonRecurrenceType type;
  gint   interval;           /* every N days, weeks, months or years (≥ 1) */
  gint64 until;              /* no occurrence starts after this (UTC seconds), 0: none */
  gint   occurrences;        /* the series has this many occurrences, 0: no count */
  gint   day_of_week;        /* bitmask: 1 Sunday, 2 Monday, 4 Tuesday … 64 Saturday */
  gint   day_of_month;       /* 1–31; later than a month's end means its last day */
  gint   week_of_month;      /* 1–4, 5: the last */
  gint   month_of_year;      /* 1–12 */
  gint   first_day_of_week;  /* 0 Sunday … 6 Saturday: where weekly intervals count from */
} PigeonRecurrence;

/* One occurrence of a series changed or deleted on the server. */
typedef struct
{
  gint64    original_start;  /* the start the rule gives it (UTC seconds) */
  gboolean  deleted;
  gint64    starts_at;       /* where it moved to, 0: unchanged */
  gint64    ends_at;         /* 0: its start plus the series' duration */
  char     *subject;         /* NULL: the series' */
  char     *location;        /* NULL: the series' */
} PigeonEventException;

typedef struct
{
  gint64 starts_at;
  gint64 ends_at;
  gint64 original_start;    /* the start the rule gives it */
  gint   exception;         /* index of the exception that changed it, -1: none */
} PigeonOccurrence;

/* Clears what EXCEPTION owns (for g_array_set_clear_func). */
void        pigeon_event_exception_clear      (gpointer data);
/* A GArray of PigeonEventException that frees their strings. */
GArray     *pigeon_event_exceptions_new       (void);

/*
 * Brings RULE within the bounds of [MS-ASCAL]: an interval of 0 or less counts as 1, a
 * larger one than the protocol allows is clamped, a negative count or end means none.
 * Returns FALSE for a rule nobody could follow (an unknown type, a day of month 32, week of
 * month 9, month 13…): such an event is kept with its first occurrence only.
 */
gboolean    pigeon_recurrence_normalize       (PigeonRecurrence *rule);

/*
 * The Windows TIME_ZONE_INFORMATION of Calendar:TimeZone (172 bytes: Bias, StandardName,
 * StandardDate, StandardBias, DaylightName, DaylightDate, DaylightBias) as a POSIX TZ rule
 * that GTimeZone reads ("XST-01:00XDT-02:00,M3.5.0/02:00:00,M10.5.0/03:00:00").  Only yearly
 * rules ("the last Sunday of March") are kept; a zone whose daylight dates are absent or
 * malformed is its standard offset all year.  NULL when DATA is not such a structure.
 */
char       *pigeon_recurrence_time_zone_from_windows (const guint8 *data,
                                                      gsize         len);
/* The time zone IDENTIFIER (a POSIX TZ rule or an Olson name) names; the local time zone
 * when it is NULL or unknown. */
GTimeZone  *pigeon_recurrence_time_zone_new   (const char *identifier);

/*
 * The occurrences (PigeonOccurrence) of the event that starts at STARTS_AT and ends at
 * ENDS_AT, repeating by RULE (NULL: it happens once) computed in TZ, that overlap [FROM, TO):
 * those that end after FROM, or start at FROM or later, and start before TO.  Sorted by
 * start, at most MAX (and never more than PIGEON_RECURRENCE_MAX_EXPANDED).  EXCEPTIONS
 * delete or move single occurrences; a moved one keeps its place in the series (the count
 * of Occurrences) and shows where it moved to.  The event's own start is always its first
 * occurrence.  All-day occurrences run from midnight to midnight in TZ.  RULE must have
 * been through pigeon_recurrence_normalize().
 */
GArray     *pigeon_recurrence_expand          (const PigeonRecurrence     *rule,
                                               GTimeZone                  *tz,
                                               gint64                      starts_at,
                                               gint64                      ends_at,
                                               gboolean                    all_day,
                                               const PigeonEventException *exceptions,
                                               guint                       n_exceptions,
                                               gint64                      from,
                                               gint64                      to,
                                               guint                       max);

G_END_DECLS
