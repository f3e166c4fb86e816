-- What a key may do, chosen when it is made: `events:write` (send events only), `read`, and
-- `write` (everything an Editor may do). Keys made before scopes existed could do all of it,
-- and keep that. An optional expiry ends a key without anyone revoking it.
ALTER TABLE api_keys
    ADD COLUMN scopes text[] NOT NULL DEFAULT '{events:write,read,write}'
        CHECK (cardinality(scopes) > 0 AND scopes <@ '{events:write,read,write}'::text[]),
    ADD COLUMN expires_at timestamptz;
ALTER TABLE api_keys ALTER COLUMN scopes DROP DEFAULT;
