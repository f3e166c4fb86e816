-- Who is emailed about what, per organization and kind of alert. No row: the organization's
-- Admins, at most once an hour per workflow (or endpoint).
CREATE TABLE alert_rules (
    org_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('FailureRate', 'FailureGroup', 'EndpointDisabled')),
    -- The members emailed (user ids); those who turned alert emails off are left out.
    email_to text[] NOT NULL DEFAULT '{}',
    quiet_minutes integer NOT NULL DEFAULT 60 CHECK (quiet_minutes BETWEEN 5 AND 10080),
    PRIMARY KEY (org_id, kind)
);
-- When an alert of a kind about one workflow (or endpoint) was last emailed.
CREATE TABLE alert_emails (
    org_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind text NOT NULL,
    subject text NOT NULL,
    sent_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, kind, subject)
);
-- How far the alert mailer has read the event log, in the feed's (xid, seq) order. It starts
-- now: alerts raised before are not emailed.
CREATE TABLE alert_cursor (
    id integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    xid xid8 NOT NULL,
    seq bigint NOT NULL
);
INSERT INTO alert_cursor (xid, seq) SELECT pg_current_xact_id(), coalesce(max(seq), 0) FROM events;
-- A member may turn off the alert emails of one organization.
ALTER TABLE memberships ADD COLUMN alert_emails boolean NOT NULL DEFAULT true;
-- The alerts among the events, in feed order: what the mailer reads.
CREATE INDEX events_alerts ON events (xid, seq)
    WHERE type IN ('workflow.high_failure_rate', 'FailureGroup.opened', 'Endpoint.disabled');
