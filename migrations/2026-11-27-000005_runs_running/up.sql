-- The runs of a workflow that are running now: a run's end asks whether it was the last, to
-- move the workflow from Triggered back to Activated. Without it, the question scanned every
-- queued run, which grows with a backlog.
CREATE INDEX runs_running ON runs (workflow_id) WHERE status = 'Running';
