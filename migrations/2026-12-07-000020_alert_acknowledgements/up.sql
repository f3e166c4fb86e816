-- Someone has seen a workflow's failure-rate alerts and is on it: the alerts raised up to
-- `through` are acknowledged, and a later one asks for attention again.
CREATE TABLE alert_acknowledgements (
    org_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    workflow_id text NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    through timestamptz NOT NULL,
    -- Who acknowledged: a user id or an API key id (`Actor::reference`).
    acknowledged_by text NOT NULL,
    PRIMARY KEY (org_id, workflow_id)
);
