-- Bulk retries (issue 9): one batch per confirmed request, with its actor, what it retried and
-- the key of the confirm form, so that the same confirm sent twice queues the batch once.
CREATE TABLE run_batches (
    id text PRIMARY KEY,
    org_id text NOT NULL REFERENCES organizations (id),
    requested_by text NOT NULL,
    retry_from text NOT NULL CHECK (retry_from IN ('start', 'failed-step')),
    filter text NOT NULL,
    request_key text NOT NULL,
    total integer NOT NULL DEFAULT 0,
    skipped integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    cancel_requested_by text,
    UNIQUE (org_id, request_key)
);
ALTER TABLE runs ADD COLUMN batch_id text REFERENCES run_batches (id);
-- A batch's runs by status (its progress), and each run of a batch queued once.
CREATE INDEX runs_batch ON runs (batch_id, status) WHERE batch_id IS NOT NULL;
CREATE UNIQUE INDEX runs_batch_once ON runs (batch_id, retry_of) WHERE batch_id IS NOT NULL;
