-- Outbound webhooks: an organization's endpoints, the outbox of deliveries written in each
-- event's transaction, and every attempt at a delivery.
CREATE TABLE webhook_endpoints (
    id text PRIMARY KEY,
    org_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    events text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 50),
    -- The signing secret, sealed as secrets are (bound to the organization and the endpoint).
    nonce bytea NOT NULL,
    ciphertext bytea NOT NULL,
    key_id text NOT NULL,
    -- After a rotation: the secret before, which signs too until previous_until.
    previous_nonce bytea,
    previous_ciphertext bytea,
    previous_key_id text,
    previous_until timestamptz,
    disabled_at timestamptz,
    disabled_reason text,
    -- Since when no delivery has succeeded though some failed; cleared by a success.
    failing_since timestamptz,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id, created_at) WHERE deleted_at IS NULL;

-- One row per event and endpoint. Its id is the delivery's webhook-id on every attempt.
CREATE TABLE webhook_deliveries (
    id text PRIMARY KEY,
    org_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    endpoint_id text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- The event delivered; null for a test event.
    event_id text,
    event_type text NOT NULL,
    payload jsonb NOT NULL,
    status text NOT NULL DEFAULT 'Pending' CHECK (status IN ('Pending', 'Delivered', 'Failed')),
    -- Attempts since it was last queued (the schedule's place); every attempt ever is a row of
    -- webhook_attempts.
    tries integer NOT NULL DEFAULT 0,
    next_at timestamptz,
    -- A sender holds it until then; another takes it over after.
    lease_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    ended_at timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE status = 'Pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC, id);

CREATE TABLE webhook_attempts (
    delivery_id text NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    n integer NOT NULL,
    at timestamptz NOT NULL,
    -- The HTTP status; null when no answer came.
    status integer,
    duration_ms integer NOT NULL,
    -- The start of the answer's body (at most 1 KiB), or why no answer came.
    answer text NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, n)
);
