-- Retries and cancellation (issue 9). A retry is a new run of the same event, linked to the run
-- it repeats; `retry_from` is the step it began at (0: the start); the steps before it were
-- copied from the repeated run, marked with `run_steps.reused_from`. Who asked for a retry or a
-- cancel is kept beside it. A cancel is a request that the run's next move honours, so that it
-- is fenced like every other write of a claimed run.
ALTER TABLE runs ADD COLUMN retry_of text REFERENCES runs (id) ON DELETE SET NULL;
ALTER TABLE runs ADD COLUMN retry_from integer;
ALTER TABLE runs ADD COLUMN requested_by text;
ALTER TABLE runs ADD COLUMN cancel_requested_by text;
CREATE INDEX runs_retry_of ON runs (retry_of) WHERE retry_of IS NOT NULL;
ALTER TABLE run_steps ADD COLUMN reused_from text;
