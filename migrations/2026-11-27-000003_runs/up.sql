-- One execution of one workflow version for one event. Workers claim ready runs with
-- FOR UPDATE SKIP LOCKED and a lease; `fence` grows with every claim so that a worker that
-- lost its lease can no longer write.
CREATE TABLE runs (
    id text PRIMARY KEY,
    org_id text NOT NULL REFERENCES organizations (id),
    workflow_id text NOT NULL REFERENCES workflows (id),
    workflow_version integer NOT NULL,
    event_id text NOT NULL REFERENCES events (id),
    status text NOT NULL DEFAULT 'Queued'
        CHECK (status IN ('Queued', 'Running', 'Succeeded', 'Failed', 'TimedOut', 'Cancelled')),
    next_step integer NOT NULL DEFAULT 0,
    run_at timestamptz NOT NULL DEFAULT now(),
    lease_owner text,
    lease_until timestamptz,
    fence bigint NOT NULL DEFAULT 0,
    error text,
    failed_step integer,
    queued_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz
);
CREATE INDEX runs_ready ON runs (run_at) WHERE status IN ('Queued', 'Running');
CREATE INDEX runs_workflow ON runs (org_id, workflow_id, queued_at DESC, id DESC);
CREATE INDEX runs_event ON runs (event_id);

-- The paused workflows that ignored an event, as the event log shows them.
ALTER TABLE events ADD COLUMN ignored_by jsonb NOT NULL DEFAULT '[]';
