ALTER TABLE run_steps DROP COLUMN reused_from;
DROP INDEX runs_retry_of;
ALTER TABLE runs DROP COLUMN cancel_requested_by;
ALTER TABLE runs DROP COLUMN requested_by;
ALTER TABLE runs DROP COLUMN retry_from;
ALTER TABLE runs DROP COLUMN retry_of;
