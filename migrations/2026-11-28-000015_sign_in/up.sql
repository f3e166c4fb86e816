-- Failed sign-ins also by client address, for the per-address throttle.
ALTER TABLE sign_in_failures ADD COLUMN address text;
CREATE INDEX sign_in_failures_address ON sign_in_failures (address, failed_at);

-- Whose session it is, read from the session's data, to list and end one person's sessions.
ALTER TABLE sessions ADD COLUMN user_id text GENERATED ALWAYS AS (data ->> 'user_id') STORED;
CREATE INDEX sessions_user ON sessions (user_id) WHERE user_id IS NOT NULL;
