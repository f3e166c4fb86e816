DROP INDEX events_alerts;
ALTER TABLE memberships DROP COLUMN alert_emails;
DROP TABLE alert_cursor;
DROP TABLE alert_emails;
DROP TABLE alert_rules;
