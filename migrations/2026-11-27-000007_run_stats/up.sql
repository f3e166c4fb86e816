-- Run statistics that stay fast at any volume. Every transaction that starts or ends a run
-- appends one row here (never an update of a row every run shares); the server folds them into
-- the hourly rollups every few seconds, and reads add what is not folded yet.
CREATE TABLE run_outcomes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id text NOT NULL REFERENCES organizations (id),
    workflow_id text NOT NULL,
    version integer NOT NULL,
    -- The hour of the start, or of the end when the run ended in this transaction.
    hour timestamptz NOT NULL,
    started boolean NOT NULL,
    -- How the run ended (a RunStatus that is not in flight), when it ended in this transaction.
    outcome text,
    duration_ms bigint,
    -- Which bucket of the fixed duration histogram (src/stats.rs) the run's duration falls in.
    duration_bucket smallint,
    -- A failed run's failure group and what the group is made of.
    failure_group text,
    failed_step integer,
    fingerprint text,
    error text,
    run_id text,
    at timestamptz NOT NULL
);
CREATE INDEX run_outcomes_org_hour ON run_outcomes (org_id, hour);

-- Runs per workflow, version and hour: started, each outcome, durations. Kept two years.
CREATE TABLE run_stats (
    workflow_id text NOT NULL,
    version integer NOT NULL,
    hour timestamptz NOT NULL,
    org_id text NOT NULL REFERENCES organizations (id),
    started bigint NOT NULL DEFAULT 0,
    succeeded bigint NOT NULL DEFAULT 0,
    failed bigint NOT NULL DEFAULT 0,
    timed_out bigint NOT NULL DEFAULT 0,
    cancelled bigint NOT NULL DEFAULT 0,
    duration_ms_sum bigint NOT NULL DEFAULT 0,
    durations bigint[] NOT NULL,
    PRIMARY KEY (workflow_id, version, hour)
);
CREATE INDEX run_stats_org_hour ON run_stats (org_id, hour);

-- Failed runs of one workflow at one step whose errors are equal once ids, numbers and quoted
-- values are taken out. `key` is a digest of the three.
CREATE TABLE failure_groups (
    key text PRIMARY KEY,
    org_id text NOT NULL REFERENCES organizations (id),
    workflow_id text NOT NULL,
    step integer NOT NULL,
    fingerprint text NOT NULL,
    -- The latest error of the group, as it was.
    error text NOT NULL,
    runs bigint NOT NULL DEFAULT 0,
    first_seen timestamptz NOT NULL,
    last_seen timestamptz NOT NULL,
    versions integer[] NOT NULL DEFAULT '{}',
    sample_run text NOT NULL
);
CREATE INDEX failure_groups_org_seen ON failure_groups (org_id, last_seen DESC);

-- A group's failures per hour, for counts over a range.
CREATE TABLE failure_group_hours (
    key text NOT NULL,
    hour timestamptz NOT NULL,
    org_id text NOT NULL REFERENCES organizations (id),
    runs bigint NOT NULL,
    PRIMARY KEY (key, hour)
);
CREATE INDEX failure_group_hours_org ON failure_group_hours (org_id, hour);

ALTER TABLE runs ADD COLUMN failure_group text;
CREATE INDEX runs_failure_group ON runs (org_id, failure_group, queued_at DESC, id DESC)
    WHERE failure_group IS NOT NULL;
-- The runs failing now: an organization's latest failed runs.
CREATE INDEX runs_failed_latest ON runs (org_id, finished_at DESC)
    WHERE failure_group IS NOT NULL;

-- What the dashboard calls failing, and the time zone its dates are shown in.
ALTER TABLE organizations ADD COLUMN failure_threshold double precision NOT NULL DEFAULT 0.1
    CHECK (failure_threshold > 0 AND failure_threshold < 1);
ALTER TABLE organizations ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';
