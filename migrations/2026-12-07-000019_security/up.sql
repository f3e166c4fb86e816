-- Keys may have the `admin` scope: they read what Admins keep to themselves (sign-in
-- records, invitations, keys' events).
ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_check
    CHECK (cardinality(scopes) > 0 AND scopes <@ '{events:write,read,write,admin}'::text[]);

-- Sessions are kept by the digest of their id from now on; the ones kept by the id itself
-- end (everyone signs in again once).
DELETE FROM sessions;

-- Failed sign-ins are counted per account and address together (no account is locked for
-- everyone any more).
CREATE INDEX sign_in_failures_email_address ON sign_in_failures (email, address, failed_at);
