-- The workflow list pages by keyset: each sort is one row comparison over an index, with
-- missing values as the smallest (last in a descending list) and the id as the tie-break.
DROP INDEX workflows_org_last_run;
CREATE INDEX workflows_org_last_run ON workflows
    (org_id, COALESCE(last_run_at, '-infinity'::timestamptz) DESC, id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX workflows_org_failure_rate ON workflows
    (org_id, COALESCE(failure_count::float8 / NULLIF(success_count + failure_count, 0), -1) DESC, id DESC)
    WHERE deleted_at IS NULL;
