DROP INDEX sign_in_failures_email_address;
DELETE FROM sessions;
UPDATE api_keys SET scopes = array_remove(scopes, 'admin') WHERE cardinality(scopes) > 1;
UPDATE api_keys SET scopes = '{read}', revoked_at = coalesce(revoked_at, now()) WHERE scopes = '{admin}';
ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_check
    CHECK (cardinality(scopes) > 0 AND scopes <@ '{events:write,read,write}'::text[]);
