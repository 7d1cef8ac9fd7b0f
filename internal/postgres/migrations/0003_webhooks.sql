-- Webhooks: endpoints of other systems subscribed to event types, and
-- what was delivered to each (one row per endpoint and event), so a
-- redelivered event goes only to the endpoints that have not got it.

CREATE TABLE webhooks (
    id              bigserial   PRIMARY KEY,
    url             text        NOT NULL,
    -- event types, or {*}
    event_types     text[]      NOT NULL,
    description     text        NOT NULL DEFAULT '',
    paused          boolean     NOT NULL DEFAULT false,
    secret          text        NOT NULL,
    -- the secret a rotation replaced; it signs too until previous_until
    previous_secret text        NOT NULL DEFAULT '',
    previous_until  timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE webhook_deliveries (
    webhook_id bigint      NOT NULL REFERENCES webhooks (id),
    event_id   text        NOT NULL,
    event_type text        NOT NULL,
    status     text        NOT NULL,
    attempts   integer     NOT NULL DEFAULT 0,
    code       integer     NOT NULL DEFAULT 0,
    error      text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (webhook_id, updated_at);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
CREATE INDEX webhook_deliveries_updated ON webhook_deliveries (updated_at);
