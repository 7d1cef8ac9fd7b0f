-- Capacity of one occurrence, the quorum rule, the waitlist's order,
-- attendance and meeting-time polls (issue 12).

ALTER TABLE series ADD COLUMN quorum_min INTEGER NOT NULL DEFAULT 0;
ALTER TABLE series ADD COLUMN quorum_before_s INTEGER NOT NULL DEFAULT 0;
ALTER TABLE series_exceptions ADD COLUMN capacity INTEGER NOT NULL DEFAULT 0;

-- When the member's current yes was first given: the waitlist's order.
ALTER TABLE rsvps ADD COLUMN queued_at TEXT;
UPDATE rsvps SET queued_at = answered_at WHERE answer = 'ACCEPTED';

CREATE TABLE attendance (
    series_id   INTEGER NOT NULL REFERENCES series (id),
    -- original start of the meeting, unix seconds
    occurrence  INTEGER NOT NULL,
    member_id   INTEGER NOT NULL REFERENCES members (id),
    network_id  INTEGER NOT NULL,
    attended    INTEGER NOT NULL,
    recorded_by INTEGER NOT NULL DEFAULT 0,
    recorded_at TEXT    NOT NULL,
    PRIMARY KEY (series_id, occurrence, member_id)
);
CREATE INDEX attendance_network ON attendance (network_id, occurrence);
CREATE INDEX attendance_member ON attendance (member_id, network_id);

CREATE TABLE polls (
    id             INTEGER PRIMARY KEY,
    network_id     INTEGER NOT NULL REFERENCES networks (id),
    title          TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    created_by     INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT    NOT NULL,
    decided_at     TEXT,
    decided_option INTEGER NOT NULL DEFAULT 0,
    series_id      INTEGER NOT NULL DEFAULT 0
);
-- At most one open poll per network.
CREATE UNIQUE INDEX polls_open ON polls (network_id) WHERE status = 'open';
CREATE INDEX polls_network ON polls (network_id, id);

CREATE TABLE poll_options (
    id           INTEGER PRIMARY KEY,
    poll_id      INTEGER NOT NULL REFERENCES polls (id),
    position     INTEGER NOT NULL,
    start_local  TEXT    NOT NULL,
    time_zone    TEXT    NOT NULL,
    duration_min INTEGER NOT NULL,
    rrule        TEXT    NOT NULL DEFAULT '',
    location     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX poll_options_poll ON poll_options (poll_id, position);

CREATE TABLE poll_votes (
    poll_id   INTEGER NOT NULL REFERENCES polls (id),
    option_id INTEGER NOT NULL REFERENCES poll_options (id),
    member_id INTEGER NOT NULL REFERENCES members (id),
    vote      TEXT    NOT NULL,
    voted_at  TEXT    NOT NULL,
    PRIMARY KEY (poll_id, option_id, member_id)
);
