-- Keys of scheduled jobs already done (reminders, digests, …): a job's
-- mail is queued in the same transaction as its key.
CREATE TABLE jobs (
    key        text PRIMARY KEY,
    created_at timestamptz NOT NULL
);
