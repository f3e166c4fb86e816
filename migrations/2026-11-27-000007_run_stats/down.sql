ALTER TABLE organizations DROP COLUMN time_zone;
ALTER TABLE organizations DROP COLUMN failure_threshold;
DROP INDEX runs_failed_latest;
DROP INDEX runs_failure_group;
ALTER TABLE runs DROP COLUMN failure_group;
DROP TABLE failure_group_hours;
DROP TABLE failure_groups;
DROP TABLE run_stats;
DROP TABLE run_outcomes;
