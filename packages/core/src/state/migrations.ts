/**
 * The state file's schema, as an append-only list of migrations. Entry `n` moves a file from
 * version `n` to `n + 1`; never edit a shipped entry, add a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 0 -> 1
  `
  CREATE TABLE scopes (
    source            TEXT    NOT NULL,
    scope             TEXT    NOT NULL,
    cursor            TEXT,                       -- JSON, NULL = no cursor
    runs_since_full   INTEGER NOT NULL DEFAULT 0,
    last_full_read_at TEXT,
    last_run_at       TEXT,
    last_status       TEXT,
    PRIMARY KEY (source, scope)
  ) WITHOUT ROWID;

  -- The compact index of DESIGN §9: key, Elder id and content hash per object, nothing more.
  CREATE TABLE mappings (
    source     TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    scope      TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    elder_kind TEXT    NOT NULL CHECK (elder_kind IN ('entity', 'organization')),
    elder_id   INTEGER NOT NULL,
    hash       TEXT,
    owned      INTEGER NOT NULL CHECK (owned IN (0, 1)),
    PRIMARY KEY (source, key)
  ) WITHOUT ROWID;

  CREATE INDEX mappings_by_scope ON mappings (source, scope, key);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
