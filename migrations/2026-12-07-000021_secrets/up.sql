-- An organization's secrets, encrypted by the server (XChaCha20-Poly1305) under a key the
-- operator gives in the environment and that is never stored here. The ciphertext is bound to
-- its organization and name: moved to another row, it no longer opens.
CREATE TABLE secrets (
    org_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (name ~ '^[A-Z][A-Z0-9_]{0,63}$'),
    nonce bytea NOT NULL,
    ciphertext bytea NOT NULL,
    -- Which key sealed it (a digest of the key, not the key): rotation finds what to redo.
    key_id text NOT NULL,
    hosts text[] NOT NULL,
    set_by text NOT NULL,
    set_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, name)
);
