-- "Forgot your password?": a one-time link (stored as a hash) that works for an hour.
CREATE TABLE password_resets (
    token_hash text PRIMARY KEY,
    user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
-- How many links an account was sent in the last hour.
CREATE INDEX password_resets_user ON password_resets (user_id, created_at DESC);
