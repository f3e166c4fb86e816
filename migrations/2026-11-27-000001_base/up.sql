CREATE TABLE organizations (
    id text PRIMARY KEY,
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id text PRIMARY KEY,
    email text NOT NULL,
    display_name text NOT NULL,
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE memberships (
    user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('Admin', 'Editor', 'Viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, org_id)
);
CREATE INDEX memberships_org ON memberships (org_id);

-- tower-sessions records, keyed by the session id.
CREATE TABLE sessions (
    id text PRIMARY KEY,
    data jsonb NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Failed sign-ins by (lower-cased) email, for the per-account throttle.
CREATE TABLE sign_in_failures (
    email text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failures_email ON sign_in_failures (email, failed_at);

CREATE TABLE workflows (
    id text PRIMARY KEY,
    org_id text NOT NULL REFERENCES organizations (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    trigger_event text NOT NULL,
    steps text NOT NULL DEFAULT '[]',
    retry_policy text,
    error_handling text NOT NULL DEFAULT 'Stop' CHECK (error_handling IN ('Stop', 'Continue', 'Fallback')),
    timeout_ms bigint CHECK (timeout_ms > 0),
    status text NOT NULL DEFAULT 'Draft'
        CHECK (status IN ('Draft', 'Active', 'Activated', 'Paused', 'Triggered', 'Archived')),
    version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    last_run_at timestamptz,
    run_count bigint NOT NULL DEFAULT 0,
    success_count bigint NOT NULL DEFAULT 0,
    failure_count bigint NOT NULL DEFAULT 0,
    created_by text REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
-- The list's filters and sorts, over live rows only.
CREATE INDEX workflows_org_created ON workflows (org_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX workflows_org_status ON workflows (org_id, status) WHERE deleted_at IS NULL;
CREATE INDEX workflows_org_trigger ON workflows (org_id, trigger_event) WHERE deleted_at IS NULL;
CREATE INDEX workflows_org_name ON workflows (org_id, lower(name), id) WHERE deleted_at IS NULL;
CREATE INDEX workflows_org_last_run ON workflows (org_id, last_run_at DESC NULLS LAST, id) WHERE deleted_at IS NULL;

CREATE TABLE workflow_versions (
    workflow_id text NOT NULL REFERENCES workflows (id),
    version integer NOT NULL,
    org_id text NOT NULL REFERENCES organizations (id),
    snapshot jsonb NOT NULL,
    created_by text REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workflow_id, version)
);

-- Everything that happened: posted events, verbs' events, hooks' events. Doubles as the audit log.
CREATE TABLE events (
    id text PRIMARY KEY,
    -- Orders events recorded in one transaction, where now() is the same for all.
    seq bigint GENERATED ALWAYS AS IDENTITY,
    org_id text NOT NULL REFERENCES organizations (id),
    type text NOT NULL,
    data jsonb NOT NULL DEFAULT '{}',
    source text NOT NULL CHECK (source IN ('api', 'verb', 'step', 'manual', 'hook')),
    actor text,
    subject text,
    idempotency_key text,
    depth integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_org_seq ON events (org_id, seq DESC);
CREATE INDEX events_org_subject ON events (org_id, subject, seq DESC);
CREATE UNIQUE INDEX events_org_idempotency ON events (org_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
