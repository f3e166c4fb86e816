DROP INDEX sessions_user;
ALTER TABLE sessions DROP COLUMN user_id;
DROP INDEX sign_in_failures_address;
ALTER TABLE sign_in_failures DROP COLUMN address;
