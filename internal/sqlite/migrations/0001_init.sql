-- Nätverk schema, SQLite dialect. Times are TEXT in UTC, RFC 3339 with
-- microseconds ("2026-01-13T17:00:00.000000Z"), so they sort as text.

CREATE TABLE members (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL,
    email_key     TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    town          TEXT    NOT NULL DEFAULT '',
    industry      TEXT    NOT NULL DEFAULT '',
    company       TEXT    NOT NULL DEFAULT '',
    title         TEXT    NOT NULL DEFAULT '',
    locale        TEXT    NOT NULL DEFAULT 'sv',
    hidden        INTEGER NOT NULL DEFAULT 0,
    bouncing      INTEGER NOT NULL DEFAULT 0,
    bounce_reason TEXT    NOT NULL DEFAULT '',
    token_epoch   INTEGER NOT NULL DEFAULT 0,
    erased        INTEGER NOT NULL DEFAULT 0,
    -- folded (lower-case, no diacritics) text for the directory
    search_text   TEXT    NOT NULL DEFAULT '',
    -- folded name: the directory's sort order, the same on every store
    sort_key      TEXT    NOT NULL DEFAULT '',
    town_key      TEXT    NOT NULL DEFAULT '',
    industry_key  TEXT    NOT NULL DEFAULT '',
    company_key   TEXT    NOT NULL DEFAULT '',
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE INDEX members_town ON members (town_key);
CREATE INDEX members_industry ON members (industry_key);
CREATE INDEX members_company ON members (company_key);
CREATE INDEX members_sort ON members (sort_key, id);

CREATE VIRTUAL TABLE members_fts USING fts5(
    search_text, content = 'members', content_rowid = 'id',
    tokenize = 'unicode61', prefix = '2 3 4'
);
CREATE TRIGGER members_fts_insert AFTER INSERT ON members BEGIN
    INSERT INTO members_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER members_fts_delete AFTER DELETE ON members BEGIN
    INSERT INTO members_fts (members_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER members_fts_update AFTER UPDATE OF search_text ON members BEGIN
    INSERT INTO members_fts (members_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO members_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;

CREATE TABLE networks (
    id              INTEGER PRIMARY KEY,
    slug            TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    have            TEXT    NOT NULL DEFAULT '',
    need            TEXT    NOT NULL DEFAULT '',
    time_zone       TEXT    NOT NULL,
    feed_visibility TEXT    NOT NULL,
    feed_token      TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    contact_name    TEXT    NOT NULL DEFAULT '',
    contact_email   TEXT    NOT NULL DEFAULT '',
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    closed_at       TEXT
);

CREATE TABLE memberships (
    network_id INTEGER NOT NULL REFERENCES networks (id),
    member_id  INTEGER NOT NULL REFERENCES members (id),
    status     TEXT    NOT NULL,
    organizer  INTEGER NOT NULL DEFAULT 0,
    invited_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (network_id, member_id)
);
CREATE INDEX memberships_member ON memberships (member_id);

CREATE TABLE series (
    id            INTEGER PRIMARY KEY,
    network_id    INTEGER NOT NULL REFERENCES networks (id),
    uid           TEXT    NOT NULL UNIQUE,
    summary       TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    location      TEXT    NOT NULL DEFAULT '',
    location_url  TEXT    NOT NULL DEFAULT '',
    time_zone     TEXT    NOT NULL,
    -- wall-clock start in time_zone, "2006-01-02T15:04:05"
    start_local   TEXT    NOT NULL,
    duration_s    INTEGER NOT NULL,
    rrule         TEXT    NOT NULL DEFAULT '',
    sequence      INTEGER NOT NULL DEFAULT 0,
    status        TEXT    NOT NULL,
    capacity      INTEGER NOT NULL DEFAULT 0,
    skip_holidays INTEGER NOT NULL DEFAULT 0,
    summer_break  TEXT    NOT NULL DEFAULT '',
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE INDEX series_network ON series (network_id);

CREATE TABLE series_exceptions (
    series_id     INTEGER NOT NULL REFERENCES series (id),
    recurrence_id TEXT    NOT NULL,
    cancelled     INTEGER NOT NULL DEFAULT 0,
    start_at      TEXT,
    duration_s    INTEGER NOT NULL DEFAULT 0,
    summary       TEXT    NOT NULL DEFAULT '',
    location      TEXT    NOT NULL DEFAULT '',
    description   TEXT    NOT NULL DEFAULT '',
    reason        TEXT    NOT NULL DEFAULT '',
    updated_at    TEXT    NOT NULL,
    PRIMARY KEY (series_id, recurrence_id)
);

CREATE TABLE rsvps (
    series_id   INTEGER NOT NULL REFERENCES series (id),
    member_id   INTEGER NOT NULL REFERENCES members (id),
    -- original start of the occurrence, unix seconds; 0 = the whole series
    occurrence  INTEGER NOT NULL DEFAULT 0,
    network_id  INTEGER NOT NULL,
    answer      TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    answered_at TEXT    NOT NULL,
    sequence    INTEGER NOT NULL DEFAULT 0,
    waitlist    INTEGER NOT NULL DEFAULT 0,
    proposed_at TEXT,
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (series_id, member_id, occurrence)
);
CREATE INDEX rsvps_member ON rsvps (member_id);
CREATE INDEX rsvps_network ON rsvps (network_id);

CREATE TABLE support_requests (
    id           INTEGER PRIMARY KEY,
    network_id   INTEGER NOT NULL REFERENCES networks (id),
    series_id    INTEGER NOT NULL DEFAULT 0,
    occurrence   TEXT,
    what         TEXT    NOT NULL,
    cost_sek     INTEGER NOT NULL DEFAULT 0,
    status       TEXT    NOT NULL,
    note         TEXT    NOT NULL DEFAULT '',
    requested_by INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT    NOT NULL,
    decided_at   TEXT
);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    hash       TEXT    NOT NULL UNIQUE,
    role       TEXT    NOT NULL,
    member_id  INTEGER NOT NULL DEFAULT 0,
    label      TEXT    NOT NULL DEFAULT '',
    created_at TEXT    NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);

CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT    NOT NULL UNIQUE,
    type         TEXT    NOT NULL,
    network_id   INTEGER NOT NULL DEFAULT 0,
    body         BLOB    NOT NULL,
    created_at   TEXT    NOT NULL,
    published_at TEXT
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;

CREATE TABLE feeds (
    key         TEXT PRIMARY KEY,
    body        BLOB NOT NULL,
    etag        TEXT NOT NULL,
    modified_at TEXT NOT NULL
);

CREATE TABLE mails (
    key           TEXT    PRIMARY KEY,
    message_id    TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    network_id    INTEGER NOT NULL DEFAULT 0,
    series_id     INTEGER NOT NULL DEFAULT 0,
    member_id     INTEGER NOT NULL DEFAULT 0,
    to_addr       TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    error         TEXT    NOT NULL DEFAULT '',
    code          INTEGER NOT NULL DEFAULT 0,
    claimed_until TEXT    NOT NULL DEFAULT '',
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE INDEX mails_member_series ON mails (member_id, series_id, kind, created_at);
CREATE INDEX mails_network ON mails (network_id, updated_at);

CREATE TABLE inbound_messages (
    id         INTEGER PRIMARY KEY,
    message_id TEXT    NOT NULL UNIQUE,
    from_addr  TEXT    NOT NULL DEFAULT '',
    to_addr    TEXT    NOT NULL DEFAULT '',
    subject    TEXT    NOT NULL DEFAULT '',
    status     TEXT    NOT NULL,
    reason     TEXT    NOT NULL DEFAULT '',
    series_id  INTEGER NOT NULL DEFAULT 0,
    member_id  INTEGER NOT NULL DEFAULT 0,
    size       INTEGER NOT NULL DEFAULT 0,
    raw        BLOB,
    created_at TEXT    NOT NULL
);
CREATE INDEX inbound_status ON inbound_messages (status, id);

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
