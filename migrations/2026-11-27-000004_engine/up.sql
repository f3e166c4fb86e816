-- What the engine keeps of each step of a run.
CREATE TABLE run_steps (
    run_id text NOT NULL REFERENCES runs (id),
    idx integer NOT NULL,
    org_id text NOT NULL REFERENCES organizations (id),
    action text NOT NULL,
    status text NOT NULL CHECK (status IN ('Pending', 'Running', 'Succeeded', 'Failed', 'Recovered', 'Skipped')),
    input jsonb,
    output jsonb,
    error text,
    attempts integer NOT NULL DEFAULT 0,
    started_at timestamptz,
    finished_at timestamptz,
    PRIMARY KEY (run_id, idx)
);

-- Generic records that steps create and change (Customer, Project, Activity, ...).
CREATE TABLE things (
    id text PRIMARY KEY,
    org_id text NOT NULL REFERENCES organizations (id),
    type text NOT NULL,
    data jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX things_org_type ON things (org_id, type, created_at DESC);

-- Attempts made at the current step, and the depth of the event chain that queued the run.
ALTER TABLE runs ADD COLUMN attempt integer NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN depth integer NOT NULL DEFAULT 0;
