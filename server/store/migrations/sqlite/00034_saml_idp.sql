-- +goose Up
-- Lintel as a SAML 2.0 identity provider for apps (server/samlidp, issue 17).
--
-- saml_apps: an app's SAML service-provider settings, one row per app.
-- sp_entity_id is the SP's entity ID, unique per tenant (the Issuer of
-- its AuthnRequests); acs_urls the assertion consumer services as JSON
-- [{index, binding, url}]; sp_signing_cert the SP's DER certificate that
-- verifies its signed requests (empty when none); want_signed_requests
-- refuses unsigned AuthnRequests; name_id_format is email, persistent or
-- transient; attributes the JSON map of SAML attribute name to the claim
-- or CEL expression text the caller evaluates; idp_initiated allows
-- unsolicited responses; slo_url is the SP's single logout service
-- (empty when none).
CREATE TABLE saml_apps (
    app_id               TEXT      NOT NULL PRIMARY KEY REFERENCES apps (id) ON DELETE CASCADE,
    tenant_id            TEXT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    sp_entity_id         TEXT      NOT NULL,
    acs_urls             JSON_TEXT NOT NULL,
    sp_signing_cert      BLOB NOT NULL,
    want_signed_requests BOOLEAN   NOT NULL,
    name_id_format       TEXT      NOT NULL,
    attributes           JSON_TEXT NOT NULL,
    idp_initiated        BOOLEAN   NOT NULL DEFAULT FALSE,
    slo_url              TEXT      NOT NULL,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX saml_apps_tenant_id_sp_entity_id ON saml_apps (tenant_id, sp_entity_id);

-- saml_idp_keys: each tenant's IdP signing keys. certificate is the DER
-- X.509 certificate; key_sealed the PKCS #8 RSA key sealed by the secrets
-- service, bound to (tenant_id, "samlidp.signing-key", kid). state is
-- current (signs; one per tenant), next (published in metadata, not yet
-- signing) or retired (still published until not_after, then ignored).
CREATE TABLE saml_idp_keys (
    tenant_id   TEXT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kid         TEXT      NOT NULL,
    certificate BLOB NOT NULL,
    key_sealed  BLOB NOT NULL,
    state       TEXT      NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    not_after   TIMESTAMP,
    PRIMARY KEY (tenant_id, kid)
);
-- At most one current and one next key per tenant: two nodes making a
-- tenant's first key at once cannot both succeed.
CREATE UNIQUE INDEX saml_idp_keys_tenant_id_state ON saml_idp_keys (tenant_id, state) WHERE state IN ('current', 'next');

-- +goose Down
DROP TABLE saml_idp_keys;
DROP TABLE saml_apps;
