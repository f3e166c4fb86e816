-- When a workflow last raised workflow.high_failure_rate: at most once an hour while it fails.
ALTER TABLE workflows ADD COLUMN alerted_at timestamptz;
-- A version made by restoring an older one says which.
ALTER TABLE workflow_versions ADD COLUMN restored_from integer;
-- Events of one type, newest first (the dashboard's alerts, the event log's filter).
CREATE INDEX events_org_type ON events (org_id, type, seq DESC);
