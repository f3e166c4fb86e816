DROP INDEX runs_batch_once;
DROP INDEX runs_batch;
ALTER TABLE runs DROP COLUMN batch_id;
DROP TABLE run_batches;
