DROP INDEX workflows_org_failure_rate;
DROP INDEX workflows_org_last_run;
CREATE INDEX workflows_org_last_run ON workflows (org_id, last_run_at DESC NULLS LAST, id) WHERE deleted_at IS NULL;
