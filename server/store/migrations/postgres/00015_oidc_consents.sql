-- +goose Up
-- What a person consented to share with a third-party app (an app with
-- consent_required): one row per (tenant, user, client). scopes is the
-- JSON list of scope values granted so far (a later consent adds to it);
-- version is the version of the consent texts (scope descriptions) the
-- person saw, and a row of an older version no longer counts. Revoking
-- keeps the row with revoked_at set; consenting again clears it.
CREATE TABLE oidc_consents (
    tenant_id  TEXT        NOT NULL,
    user_id    TEXT        NOT NULL,
    client_id  TEXT        NOT NULL,
    scopes     JSONB       NOT NULL,
    version    BIGINT      NOT NULL,
    granted_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ NULL,
    PRIMARY KEY (tenant_id, user_id, client_id)
);

-- +goose Down
DROP TABLE oidc_consents;
