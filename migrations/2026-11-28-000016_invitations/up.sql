-- An Admin's invitation: a one-time link (stored as a hash) where the person sets a password.
CREATE TABLE invitations (
    id text PRIMARY KEY,
    org_id text NOT NULL REFERENCES organizations (id),
    email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    role text NOT NULL CHECK (role IN ('Admin', 'Editor', 'Viewer')),
    token_hash text NOT NULL UNIQUE,
    invited_by text REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX invitations_org ON invitations (org_id, created_at DESC);
