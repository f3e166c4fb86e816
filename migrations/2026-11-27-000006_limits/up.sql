-- Chains are capped in breadth as well as depth: every run knows the event its chain started
-- from, and a chain that reaches past its first links counts its runs in `event_chains`.
ALTER TABLE runs ADD COLUMN chain_root text REFERENCES events (id);
-- Events the run's steps recorded: a run may record at most a fixed number.
ALTER TABLE runs ADD COLUMN events_recorded integer NOT NULL DEFAULT 0;
-- Claims that ended without progress (the worker died, or the engine failed on the step):
-- a run that stalls too often ends Failed instead of taking workers down for ever.
ALTER TABLE runs ADD COLUMN stalls integer NOT NULL DEFAULT 0;
-- What happened beside the run's own outcome (events of it that started nothing).
ALTER TABLE runs ADD COLUMN notice text;
-- Why an event started fewer workflows than listen for it.
ALTER TABLE events ADD COLUMN note text;

CREATE TABLE event_chains (
    root_event_id text PRIMARY KEY REFERENCES events (id),
    org_id text NOT NULL REFERENCES organizations (id),
    runs integer NOT NULL
);

-- Ready runs by organization, so that workers take organizations in turn. The predicate is
-- RunStatus::IN_FLIGHT (src/run.rs); a database test checks that the two agree.
DROP INDEX runs_ready;
CREATE INDEX runs_ready ON runs (org_id, run_at) WHERE status IN ('Queued', 'Running');
