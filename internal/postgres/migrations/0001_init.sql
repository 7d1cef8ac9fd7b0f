-- Nätverk schema, PostgreSQL dialect. It mirrors the SQLite 0001_init.sql
-- table for table and column for column, with native types: bigserial
-- ids, timestamptz times, boolean flags and bytea bodies. Text that is
-- sorted or compared is ordered COLLATE "C" (byte order), as SQLite does.

CREATE TABLE members (
    id            bigserial   PRIMARY KEY,
    email         text        NOT NULL,
    email_key     text        NOT NULL UNIQUE,
    name          text        NOT NULL,
    town          text        NOT NULL DEFAULT '',
    industry      text        NOT NULL DEFAULT '',
    company       text        NOT NULL DEFAULT '',
    title         text        NOT NULL DEFAULT '',
    locale        text        NOT NULL DEFAULT 'sv',
    hidden        boolean     NOT NULL DEFAULT false,
    bouncing      boolean     NOT NULL DEFAULT false,
    bounce_reason text        NOT NULL DEFAULT '',
    token_epoch   integer     NOT NULL DEFAULT 0,
    erased        boolean     NOT NULL DEFAULT false,
    -- folded (lower-case, no diacritics) words for the directory, computed
    -- in Go (natverk.MemberInput.SearchText) so every store matches alike
    search_text   text        NOT NULL DEFAULT '',
    -- folded name: the directory's sort order, the same on every store
    sort_key      text        NOT NULL DEFAULT '',
    town_key      text        NOT NULL DEFAULT '',
    industry_key  text        NOT NULL DEFAULT '',
    company_key   text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX members_town ON members (town_key);
CREATE INDEX members_industry ON members (industry_key);
CREATE INDEX members_company ON members (company_key);
CREATE INDEX members_sort ON members (sort_key COLLATE "C", id);
-- Word-prefix search. The lexemes are exactly the words of search_text,
-- split on the spaces Go put there, not re-parsed by a text search parser
-- (which splits "1e2e3" into "1e2" and "e3"); the query is a tsquery
-- 'w1':* & 'w2':* built from the same words.
CREATE INDEX members_search ON members USING gin (array_to_tsvector(array_remove(string_to_array(search_text, ' '), '')));

CREATE TABLE networks (
    id              bigserial   PRIMARY KEY,
    slug            text        NOT NULL UNIQUE,
    name            text        NOT NULL,
    kind            text        NOT NULL,
    description     text        NOT NULL DEFAULT '',
    have            text        NOT NULL DEFAULT '',
    need            text        NOT NULL DEFAULT '',
    time_zone       text        NOT NULL,
    feed_visibility text        NOT NULL,
    feed_token      text        NOT NULL,
    status          text        NOT NULL,
    contact_name    text        NOT NULL DEFAULT '',
    contact_email   text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    closed_at       timestamptz
);

CREATE TABLE memberships (
    network_id bigint      NOT NULL REFERENCES networks (id),
    member_id  bigint      NOT NULL REFERENCES members (id),
    status     text        NOT NULL,
    organizer  boolean     NOT NULL DEFAULT false,
    invited_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (network_id, member_id)
);
CREATE INDEX memberships_member ON memberships (member_id);

CREATE TABLE series (
    id            bigserial   PRIMARY KEY,
    network_id    bigint      NOT NULL REFERENCES networks (id),
    uid           text        NOT NULL UNIQUE,
    summary       text        NOT NULL,
    description   text        NOT NULL DEFAULT '',
    location      text        NOT NULL DEFAULT '',
    location_url  text        NOT NULL DEFAULT '',
    time_zone     text        NOT NULL,
    -- wall-clock start in time_zone (a local time, hence no time zone)
    start_local   timestamp   NOT NULL,
    duration_s    bigint      NOT NULL,
    rrule         text        NOT NULL DEFAULT '',
    sequence      integer     NOT NULL DEFAULT 0,
    status        text        NOT NULL,
    capacity      integer     NOT NULL DEFAULT 0,
    skip_holidays boolean     NOT NULL DEFAULT false,
    summer_break  text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX series_network ON series (network_id);

CREATE TABLE series_exceptions (
    series_id     bigint      NOT NULL REFERENCES series (id),
    recurrence_id timestamptz NOT NULL,
    cancelled     boolean     NOT NULL DEFAULT false,
    start_at      timestamptz,
    duration_s    bigint      NOT NULL DEFAULT 0,
    summary       text        NOT NULL DEFAULT '',
    location      text        NOT NULL DEFAULT '',
    description   text        NOT NULL DEFAULT '',
    reason        text        NOT NULL DEFAULT '',
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (series_id, recurrence_id)
);

CREATE TABLE rsvps (
    series_id   bigint      NOT NULL REFERENCES series (id),
    member_id   bigint      NOT NULL REFERENCES members (id),
    -- original start of the occurrence, unix seconds; 0 = the whole series
    -- (a key column, so it cannot be NULL)
    occurrence  bigint      NOT NULL DEFAULT 0,
    network_id  bigint      NOT NULL,
    answer      text        NOT NULL,
    source      text        NOT NULL,
    answered_at timestamptz NOT NULL,
    sequence    integer     NOT NULL DEFAULT 0,
    waitlist    integer     NOT NULL DEFAULT 0,
    proposed_at timestamptz,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (series_id, member_id, occurrence)
);
CREATE INDEX rsvps_member ON rsvps (member_id);
CREATE INDEX rsvps_network ON rsvps (network_id);

CREATE TABLE support_requests (
    id           bigserial   PRIMARY KEY,
    network_id   bigint      NOT NULL REFERENCES networks (id),
    series_id    bigint      NOT NULL DEFAULT 0,
    occurrence   timestamptz,
    what         text        NOT NULL,
    cost_sek     bigint      NOT NULL DEFAULT 0,
    status       text        NOT NULL,
    note         text        NOT NULL DEFAULT '',
    requested_by bigint      NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL,
    decided_at   timestamptz
);
CREATE INDEX support_requests_network ON support_requests (network_id, id);

CREATE TABLE api_tokens (
    id         bigserial   PRIMARY KEY,
    hash       text        NOT NULL UNIQUE,
    role       text        NOT NULL,
    member_id  bigint      NOT NULL DEFAULT 0,
    label      text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_tokens_member ON api_tokens (member_id);

CREATE TABLE outbox (
    seq          bigserial   PRIMARY KEY,
    event_id     text        NOT NULL UNIQUE,
    type         text        NOT NULL,
    network_id   bigint      NOT NULL DEFAULT 0,
    body         bytea       NOT NULL,
    created_at   timestamptz NOT NULL,
    published_at timestamptz
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;

CREATE TABLE feeds (
    key         text        PRIMARY KEY,
    body        bytea       NOT NULL,
    etag        text        NOT NULL,
    modified_at timestamptz NOT NULL
);

CREATE TABLE mails (
    key           text        PRIMARY KEY,
    message_id    text        NOT NULL,
    kind          text        NOT NULL,
    network_id    bigint      NOT NULL DEFAULT 0,
    series_id     bigint      NOT NULL DEFAULT 0,
    member_id     bigint      NOT NULL DEFAULT 0,
    to_addr       text        NOT NULL,
    status        text        NOT NULL,
    attempts      integer     NOT NULL DEFAULT 0,
    error         text        NOT NULL DEFAULT '',
    code          integer     NOT NULL DEFAULT 0,
    -- when a sending claim lapses; NULL when none is held
    claimed_until timestamptz,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX mails_member_series ON mails (member_id, series_id, kind, created_at);
CREATE INDEX mails_network ON mails (network_id, updated_at);

CREATE TABLE inbound_messages (
    id         bigserial   PRIMARY KEY,
    message_id text        NOT NULL UNIQUE,
    from_addr  text        NOT NULL DEFAULT '',
    to_addr    text        NOT NULL DEFAULT '',
    subject    text        NOT NULL DEFAULT '',
    status     text        NOT NULL,
    reason     text        NOT NULL DEFAULT '',
    series_id  bigint      NOT NULL DEFAULT 0,
    member_id  bigint      NOT NULL DEFAULT 0,
    size       integer     NOT NULL DEFAULT 0,
    raw        bytea,
    created_at timestamptz NOT NULL
);
CREATE INDEX inbound_status ON inbound_messages (status, id);
CREATE INDEX inbound_member ON inbound_messages (member_id);

CREATE TABLE leases (
    name       text        PRIMARY KEY,
    holder     text        NOT NULL,
    expires_at timestamptz NOT NULL
);
