-- Keys of scheduled jobs already done (reminders, digests, …): a job's
-- mail is queued in the same transaction as its key.
CREATE TABLE jobs (
    key        TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
