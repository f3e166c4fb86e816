-- API keys: each belongs to one organization, is shown once, and is stored as a hash.
CREATE TABLE api_keys (
    id text PRIMARY KEY,
    org_id text NOT NULL REFERENCES organizations (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- The key's first characters, shown in lists and used to find it.
    prefix text NOT NULL UNIQUE,
    hash text NOT NULL,
    created_by text REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_keys_org ON api_keys (org_id, created_at DESC);
