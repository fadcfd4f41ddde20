-- +goose Up
-- OAuth settings of apps beyond the basics:
--   jwks / jwks_uri: the public keys of a private_key_jwt client, inline
--     (a JSON JWK Set, public members only) or fetched through the egress
--     dialer; '' when unused.
--   id_token_signed_response_alg: RS256 (default), ES256 or EdDSA; '' for
--     service apps, which get no ID tokens.
--   consent_required: a third-party app, whose users must consent to the
--     scopes it asks for.
--   management_scopes: management API scopes a service app may request
--     from the system tenant's default authorization server.
ALTER TABLE apps ADD COLUMN jwks TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN jwks_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN id_token_signed_response_alg TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN consent_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE apps ADD COLUMN management_scopes JSON_TEXT NOT NULL DEFAULT '[]';
UPDATE apps SET id_token_signed_response_alg = 'RS256' WHERE type <> 'service';

-- +goose Down
ALTER TABLE apps DROP COLUMN management_scopes;
ALTER TABLE apps DROP COLUMN consent_required;
ALTER TABLE apps DROP COLUMN id_token_signed_response_alg;
ALTER TABLE apps DROP COLUMN jwks_uri;
ALTER TABLE apps DROP COLUMN jwks;
