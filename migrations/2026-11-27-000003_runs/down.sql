ALTER TABLE events DROP COLUMN ignored_by;
DROP TABLE runs;
