-- +goose Up
-- A brand's own sender address and its DKIM keys (server/mail, issue 15).
-- address is one addr-spec (local@domain, the domain lowercased), name an
-- optional display name. The signing key is selector / public_key (PKIX
-- DER) / private_sealed (PKCS #8 sealed by the secrets service, bound to
-- (tenant_id, "mail.dkim-key", brand_id || '/' || selector)). A rotation
-- adds a next_* key, published and verified before it signs; the key it
-- replaces is kept as retired_* only to tell what DNS record may go.
-- verified_at is when the signing key's record was last found in DNS,
-- checked_at when DNS was last asked; last_error says what the last check
-- found wrong, without key material. Rows go with their brand or tenant.
CREATE TABLE brand_senders (
    brand_id             TEXT      NOT NULL PRIMARY KEY REFERENCES brands (id) ON DELETE CASCADE,
    tenant_id            TEXT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    address              TEXT      NOT NULL,
    name                 TEXT      NOT NULL,
    domain               TEXT      NOT NULL,
    algorithm            TEXT      NOT NULL,
    selector             TEXT      NOT NULL,
    public_key           BYTEA     NOT NULL,
    private_sealed       BYTEA     NOT NULL,
    key_created_at       TIMESTAMPTZ NOT NULL,
    next_selector        TEXT      NOT NULL,
    next_public_key      BYTEA     NOT NULL,
    next_private_sealed  BYTEA     NOT NULL,
    next_created_at      TIMESTAMPTZ NULL,
    retired_selector     TEXT      NOT NULL,
    retired_public_key   BYTEA     NOT NULL,
    retired_at           TIMESTAMPTZ NULL,
    verified_at          TIMESTAMPTZ NULL,
    checked_at           TIMESTAMPTZ NULL,
    last_error           TEXT      NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX brand_senders_tenant_id_domain ON brand_senders (tenant_id, domain);

-- +goose Down
DROP TABLE brand_senders;
