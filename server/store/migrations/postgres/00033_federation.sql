-- +goose Up
-- Inbound federation (server/federation, issue 16).
--
-- identity_providers: a tenant's upstream identity providers. kind is
-- oidc, oauth2, saml or a preset (google, microsoft, apple, facebook,
-- linkedin, github). config is federation.Config as JSON: endpoints,
-- client ID, scopes, SAML metadata, attribute mapping, JIT, linking and
-- sync policy; it never holds a secret. secret_sealed is the client
-- secret (or Apple's PKCS #8 signing key) sealed by the secrets service,
-- bound to (tenant_id, "federation.idp-secret", id); empty when none.
-- name_fold is the display name case-folded, unique per tenant.
CREATE TABLE identity_providers (
    id            TEXT      NOT NULL PRIMARY KEY,
    tenant_id     TEXT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          TEXT      NOT NULL,
    name_fold     TEXT      NOT NULL,
    kind          TEXT      NOT NULL,
    enabled       BOOLEAN   NOT NULL,
    config        JSONB      NOT NULL,
    secret_sealed BYTEA      NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX identity_providers_tenant_id_name_fold ON identity_providers (tenant_id, name_fold);

-- idp_routing_rules: identify-first discovery. Rules are tried by
-- priority (lowest first, then id); the first whose every non-empty
-- condition matches decides. match is federation.Match as JSON (email
-- domains, app IDs, network zone IDs, group names); idps the ordered
-- identity-provider IDs it offers; mode "redirect" (straight to the first
-- IdP) or "buttons" (offer them beside the other ways to sign in).
CREATE TABLE idp_routing_rules (
    id         TEXT      NOT NULL PRIMARY KEY,
    tenant_id  TEXT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       TEXT      NOT NULL,
    priority   INTEGER   NOT NULL,
    match      JSONB     NOT NULL,
    idps       JSONB     NOT NULL,
    mode       TEXT      NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idp_routing_rules_tenant_id_priority ON idp_routing_rules (tenant_id, priority, id);

-- saml_assertions_seen: the replay cache of SAML assertions, shared by
-- every node through the database. A row lives until the assertion's
-- NotOnOrAfter (plus clock skew); inserting an ID already present is a
-- replay. Purged by expires_at.
CREATE TABLE saml_assertions_seen (
    tenant_id    TEXT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    idp_id       TEXT      NOT NULL,
    assertion_id TEXT      NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, idp_id, assertion_id)
);
CREATE INDEX saml_assertions_seen_expires_at ON saml_assertions_seen (expires_at);

-- saml_sp_keys: each tenant's SAML service-provider key pair, named in
-- its SP metadata (signing of AuthnRequests, decryption of encrypted
-- assertions). certificate is the DER X.509 certificate; key_sealed the
-- PKCS #8 key sealed by the secrets service, bound to (tenant_id,
-- "federation.saml-sp-key", tenant_id).
CREATE TABLE saml_sp_keys (
    tenant_id   TEXT      NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    certificate BYTEA      NOT NULL,
    key_sealed  BYTEA      NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE saml_sp_keys;
DROP TABLE saml_assertions_seen;
DROP TABLE idp_routing_rules;
DROP TABLE identity_providers;
