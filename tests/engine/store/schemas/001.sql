CREATE TABLE state (
  key   TEXT PRIMARY KEY,
  value TEXT
) WITHOUT ROWID;
CREATE TABLE folders (
  id            INTEGER PRIMARY KEY,
  path          TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  parent_path   TEXT,
  delimiter     TEXT,
  role          INTEGER NOT NULL DEFAULT 0,
  flags         INTEGER NOT NULL DEFAULT 0,
  remote_id     TEXT UNIQUE,
  uidvalidity   INTEGER NOT NULL DEFAULT 0,
  uidnext       INTEGER NOT NULL DEFAULT 0,
  highestmodseq INTEGER NOT NULL DEFAULT 0,
  sync_key      TEXT,
  total         INTEGER NOT NULL DEFAULT 0,
  unread        INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE messages (
  id              INTEGER PRIMARY KEY,
  folder_id       INTEGER NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
  uidvalidity     INTEGER NOT NULL DEFAULT 0,
  uid             INTEGER NOT NULL DEFAULT 0,
  remote_id       TEXT,
  message_id      TEXT,
  in_reply_to     TEXT,
  refs            TEXT,
  date            INTEGER NOT NULL DEFAULT 0,
  internal_date   INTEGER NOT NULL DEFAULT 0,
  sender          TEXT,
  reply_to        TEXT,
  recipients_to   TEXT,
  recipients_cc   TEXT,
  subject         TEXT,
  flags           INTEGER NOT NULL DEFAULT 0,
  modseq          INTEGER NOT NULL DEFAULT 0,
  size            INTEGER NOT NULL DEFAULT 0,
  has_attachments INTEGER NOT NULL DEFAULT 0,
  preview         TEXT,
  thread_id       INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX messages_server_uid ON messages (folder_id, uidvalidity, uid) WHERE uid <> 0;
CREATE UNIQUE INDEX messages_remote_id ON messages (folder_id, remote_id) WHERE remote_id IS NOT NULL;
CREATE INDEX messages_folder_date ON messages (folder_id, date DESC, id DESC);
CREATE INDEX messages_message_id ON messages (message_id);
CREATE INDEX messages_thread ON messages (thread_id) WHERE thread_id <> 0;
CREATE TABLE bodies (
  message_id INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
  raw        BLOB NOT NULL
);
CREATE VIRTUAL TABLE messages_fts USING fts5 (
  subject, addresses, body,
  tokenize = 'unicode61 remove_diacritics 2'
)
/* messages_fts(subject,addresses,body) */;
CREATE TABLE IF NOT EXISTS 'messages_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
CREATE TABLE IF NOT EXISTS 'messages_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS 'messages_fts_content'(id INTEGER PRIMARY KEY, c0, c1, c2);
CREATE TABLE IF NOT EXISTS 'messages_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
CREATE TABLE IF NOT EXISTS 'messages_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
  UPDATE folders SET total = total + 1, unread = unread + ((NEW.flags & 1) = 0)
   WHERE id = NEW.folder_id;
END;
CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
  UPDATE folders SET total = total - 1, unread = unread - ((OLD.flags & 1) = 0)
   WHERE id = OLD.folder_id;
  DELETE FROM messages_fts WHERE rowid = OLD.id;
END;
CREATE TRIGGER messages_count_update AFTER UPDATE OF folder_id, flags ON messages
  WHEN OLD.folder_id <> NEW.folder_id OR (OLD.flags & 1) <> (NEW.flags & 1) BEGIN
  UPDATE folders SET total = total - 1, unread = unread - ((OLD.flags & 1) = 0)
   WHERE id = OLD.folder_id;
  UPDATE folders SET total = total + 1, unread = unread + ((NEW.flags & 1) = 0)
   WHERE id = NEW.folder_id;
END;
CREATE TABLE pending_ops (
  id             INTEGER PRIMARY KEY,
  kind           INTEGER NOT NULL,
  message_id     INTEGER NOT NULL DEFAULT 0,
  folder_id      INTEGER NOT NULL DEFAULT 0,
  uidvalidity    INTEGER NOT NULL DEFAULT 0,
  uid            INTEGER NOT NULL DEFAULT 0,
  remote_id      TEXT,
  dest_folder_id INTEGER NOT NULL DEFAULT 0,
  flags_add      INTEGER NOT NULL DEFAULT 0,
  flags_remove   INTEGER NOT NULL DEFAULT 0,
  path           TEXT,
  new_path       TEXT,
  data           BLOB,
  attempts       INTEGER NOT NULL DEFAULT 0,
  created        INTEGER NOT NULL
);
CREATE TABLE outbox (
  id          INTEGER PRIMARY KEY,
  raw         BLOB NOT NULL,
  sender      TEXT NOT NULL,
  recipients  TEXT NOT NULL,
  state       INTEGER NOT NULL DEFAULT 0,
  send_after  INTEGER NOT NULL DEFAULT 0,
  attempts    INTEGER NOT NULL DEFAULT 0,
  last_error  TEXT,
  created     INTEGER NOT NULL,
  sent_at     INTEGER NOT NULL DEFAULT 0,
  saved_to_sent INTEGER NOT NULL DEFAULT 0,
  message_id  TEXT
);
CREATE TABLE pop3_uidls (
  uidl            TEXT PRIMARY KEY,
  message_id      INTEGER NOT NULL DEFAULT 0,
  size            INTEGER NOT NULL DEFAULT 0,
  downloaded_at   INTEGER NOT NULL,
  delete_pending  INTEGER NOT NULL DEFAULT 0,
  deleted         INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE contacts (
  id        INTEGER PRIMARY KEY,
  source    TEXT NOT NULL,
  remote_id TEXT,
  name      TEXT,
  email     TEXT NOT NULL,
  use_count INTEGER NOT NULL DEFAULT 0,
  last_used INTEGER NOT NULL DEFAULT 0,
  UNIQUE (source, email)
);
CREATE TABLE events (
  id         INTEGER PRIMARY KEY,
  folder_id  INTEGER NOT NULL DEFAULT 0,
  remote_id  TEXT NOT NULL UNIQUE,
  subject    TEXT,
  location   TEXT,
  organizer  TEXT,
  starts_at  INTEGER NOT NULL,
  ends_at    INTEGER NOT NULL,
  all_day    INTEGER NOT NULL DEFAULT 0,
  body       TEXT
);
CREATE INDEX events_start ON events (starts_at);
