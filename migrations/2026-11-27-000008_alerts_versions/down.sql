DROP INDEX events_org_type;
ALTER TABLE workflow_versions DROP COLUMN restored_from;
ALTER TABLE workflows DROP COLUMN alerted_at;
