-- SPDX-License-Identifier: GPL-3.0-or-later
-- Recurring calendar events: the rule beside the event, and one row per occurrence the
-- server changed or deleted.  Occurrences are expanded when read, never stored.

-- The time zone the event's rule runs in, as a POSIX TZ rule (NULL: the local one).
ALTER TABLE events ADD COLUMN time_zone TEXT;

-- [MS-ASCAL] Calendar:Recurrence; one row per recurring event.
CREATE TABLE event_recurrences (
  event_id          INTEGER PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
  type              INTEGER NOT NULL,
  repeat_interval   INTEGER NOT NULL DEFAULT 1,
  until             INTEGER NOT NULL DEFAULT 0,    -- seconds since 1970 UTC, 0: none
  occurrences       INTEGER NOT NULL DEFAULT 0,    -- 0: no count
  day_of_week       INTEGER NOT NULL DEFAULT 0,    -- bitmask, 1 Sunday … 64 Saturday
  day_of_month      INTEGER NOT NULL DEFAULT 0,
  week_of_month     INTEGER NOT NULL DEFAULT 0,    -- 5: the last
  month_of_year     INTEGER NOT NULL DEFAULT 0,
  first_day_of_week INTEGER NOT NULL DEFAULT 0
);

-- [MS-ASCAL] Calendar:Exceptions: an occurrence deleted, or moved and changed.
CREATE TABLE event_exceptions (
  event_id       INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  original_start INTEGER NOT NULL,
  deleted        INTEGER NOT NULL DEFAULT 0,
  starts_at      INTEGER NOT NULL DEFAULT 0,       -- 0: unchanged
  ends_at        INTEGER NOT NULL DEFAULT 0,
  subject        TEXT,                             -- NULL: the series'
  location       TEXT,
  PRIMARY KEY (event_id, original_start)
);
