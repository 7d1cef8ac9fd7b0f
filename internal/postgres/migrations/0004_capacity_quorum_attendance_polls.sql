-- Capacity of one occurrence, the quorum rule, the waitlist's order,
-- attendance and meeting-time polls (issue 12).

ALTER TABLE series ADD COLUMN quorum_min integer NOT NULL DEFAULT 0;
ALTER TABLE series ADD COLUMN quorum_before_s bigint NOT NULL DEFAULT 0;
ALTER TABLE series_exceptions ADD COLUMN capacity integer NOT NULL DEFAULT 0;

-- When the member's current yes was first given: the waitlist's order.
ALTER TABLE rsvps ADD COLUMN queued_at timestamptz;
UPDATE rsvps SET queued_at = answered_at WHERE answer = 'ACCEPTED';

CREATE TABLE attendance (
    series_id   bigint      NOT NULL REFERENCES series (id),
    -- original start of the meeting, unix seconds
    occurrence  bigint      NOT NULL,
    member_id   bigint      NOT NULL REFERENCES members (id),
    network_id  bigint      NOT NULL,
    attended    boolean     NOT NULL,
    recorded_by bigint      NOT NULL DEFAULT 0,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (series_id, occurrence, member_id)
);
CREATE INDEX attendance_network ON attendance (network_id, occurrence);
CREATE INDEX attendance_member ON attendance (member_id, network_id);

CREATE TABLE polls (
    id             bigserial   PRIMARY KEY,
    network_id     bigint      NOT NULL REFERENCES networks (id),
    title          text        NOT NULL,
    status         text        NOT NULL,
    created_by     bigint      NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL,
    decided_at     timestamptz,
    decided_option bigint      NOT NULL DEFAULT 0,
    series_id      bigint      NOT NULL DEFAULT 0
);
-- At most one open poll per network.
CREATE UNIQUE INDEX polls_open ON polls (network_id) WHERE status = 'open';
CREATE INDEX polls_network ON polls (network_id, id);

CREATE TABLE poll_options (
    id           bigserial PRIMARY KEY,
    poll_id      bigint    NOT NULL REFERENCES polls (id),
    position     integer   NOT NULL,
    start_local  text      NOT NULL,
    time_zone    text      NOT NULL,
    duration_min integer   NOT NULL,
    rrule        text      NOT NULL DEFAULT '',
    location     text      NOT NULL DEFAULT ''
);
CREATE INDEX poll_options_poll ON poll_options (poll_id, position);

CREATE TABLE poll_votes (
    poll_id   bigint      NOT NULL REFERENCES polls (id),
    option_id bigint      NOT NULL REFERENCES poll_options (id),
    member_id bigint      NOT NULL REFERENCES members (id),
    vote      text        NOT NULL,
    voted_at  timestamptz NOT NULL,
    PRIMARY KEY (poll_id, option_id, member_id)
);
