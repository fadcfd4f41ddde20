-- +goose Up
-- Signing key rotation. A key signs from activates_at until the next
-- generation's activates_at; it is published in the JWK set from its
-- creation (a next key is seen before it signs) until its successor's
-- activates_at plus the lifetime of its tokens, then deleted. Existing
-- keys signed from their creation. The default only fills existing rows
-- before the update: every insert sets activates_at. status is 'active',
-- or 'revoked' for a key withdrawn in an emergency (neither used nor
-- published).
ALTER TABLE oidc_keys ADD COLUMN activates_at TIMESTAMPTZ NOT NULL DEFAULT '1970-01-01 00:00:00+00';
UPDATE oidc_keys SET activates_at = created_at;

-- +goose Down
ALTER TABLE oidc_keys DROP COLUMN activates_at;
