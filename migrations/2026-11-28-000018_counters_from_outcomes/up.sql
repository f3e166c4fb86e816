-- A workflow's counters and last run time are no longer written by each run: a run's row in
-- run_outcomes carries them until the fold adds them onto the workflow (one UPDATE per workflow
-- and fold), and reads add the rows not folded yet (src/repo/workflow/tally.rs).
CREATE INDEX run_outcomes_workflow ON run_outcomes (workflow_id);
-- The failures not folded yet, for the failure-rate alert's first, cheap look.
CREATE INDEX run_outcomes_workflow_failed ON run_outcomes (workflow_id)
    WHERE outcome <> 'Succeeded';

-- Rows appended before this migration are already counted on their workflow's row: take them
-- off, so that the row plus what is not folded reads as before (the fold adds them back).
UPDATE workflows w
SET run_count = w.run_count - p.started,
    success_count = w.success_count - p.succeeded,
    failure_count = w.failure_count - p.failed
FROM (SELECT workflow_id,
             count(*) FILTER (WHERE started) AS started,
             count(*) FILTER (WHERE outcome = 'Succeeded') AS succeeded,
             count(*) FILTER (WHERE outcome <> 'Succeeded') AS failed
      FROM run_outcomes GROUP BY workflow_id) p
WHERE w.id = p.workflow_id;
