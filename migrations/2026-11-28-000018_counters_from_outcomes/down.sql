UPDATE workflows w
SET run_count = w.run_count + p.started,
    success_count = w.success_count + p.succeeded,
    failure_count = w.failure_count + p.failed,
    last_run_at = GREATEST(w.last_run_at, p.last_start)
FROM (SELECT workflow_id,
             count(*) FILTER (WHERE started) AS started,
             count(*) FILTER (WHERE outcome = 'Succeeded') AS succeeded,
             count(*) FILTER (WHERE outcome <> 'Succeeded') AS failed,
             max(at) FILTER (WHERE started) AS last_start
      FROM run_outcomes GROUP BY workflow_id) p
WHERE w.id = p.workflow_id;
DROP INDEX run_outcomes_workflow_failed;
DROP INDEX run_outcomes_workflow;
