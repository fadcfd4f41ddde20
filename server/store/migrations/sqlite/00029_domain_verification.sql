-- +goose Up
-- When a custom domain's ownership was last proven (by a DNS TXT record
-- or an HTTP token, edge/ownership); NULL while it is not proven. Only a
-- domain with verified_at set may get a certificate or carry an issuer.
-- A failed ownership check clears it; a failed certificate keeps it, so
-- issuance may be retried. Domains already verified or active count as
-- proven when they were last changed.
ALTER TABLE domains ADD COLUMN verified_at TIMESTAMP NULL;
UPDATE domains SET verified_at = updated_at WHERE state IN ('verified', 'active');

-- +goose Down
ALTER TABLE domains DROP COLUMN verified_at;
