-- Webhooks: endpoints of other systems subscribed to event types, and
-- what was delivered to each (one row per endpoint and event), so a
-- redelivered event goes only to the endpoints that have not got it.

CREATE TABLE webhooks (
    id              INTEGER PRIMARY KEY,
    url             TEXT    NOT NULL,
    -- JSON array of event types, or ["*"]
    event_types     TEXT    NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    paused          INTEGER NOT NULL DEFAULT 0,
    secret          TEXT    NOT NULL,
    -- the secret a rotation replaced; it signs too until previous_until
    previous_secret TEXT    NOT NULL DEFAULT '',
    previous_until  TEXT,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);

CREATE TABLE webhook_deliveries (
    webhook_id INTEGER NOT NULL REFERENCES webhooks (id),
    event_id        TEXT    NOT NULL,
    event_type TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    code            INTEGER NOT NULL DEFAULT 0,
    error           TEXT    NOT NULL DEFAULT '',
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (webhook_id, updated_at);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
CREATE INDEX webhook_deliveries_updated ON webhook_deliveries (updated_at);
