DROP INDEX runs_ready;
CREATE INDEX runs_ready ON runs (run_at) WHERE status IN ('Queued', 'Running');
DROP TABLE event_chains;
ALTER TABLE events DROP COLUMN note;
ALTER TABLE runs DROP COLUMN notice;
ALTER TABLE runs DROP COLUMN stalls;
ALTER TABLE runs DROP COLUMN events_recorded;
ALTER TABLE runs DROP COLUMN chain_root;
