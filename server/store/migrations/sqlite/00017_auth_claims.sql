-- +goose Up
-- Custom claims of an authorization server (issue 8): a CEL expression
-- over user, app, groups and request whose value goes into the server's
-- access tokens (target 'access') or ID tokens (target 'id').
--   scopes: JSON array of scope names of the server; the claim is
--     included only when one is granted ([] = always).
--   max_bytes: the largest JSON encoding of the value, declared or
--     derived from schema bounds when the claim was written; issuance
--     refuses a value over it.
--   override_editable: an admin's explicit permission for the expression
--     to read attributes users may edit themselves.
CREATE TABLE auth_claims (
    id                TEXT      NOT NULL PRIMARY KEY,
    server_id         TEXT      NOT NULL REFERENCES auth_servers (id),
    tenant_id         TEXT      NOT NULL,
    name              TEXT      NOT NULL,
    target            TEXT      NOT NULL,
    expression        TEXT      NOT NULL,
    scopes            JSON_TEXT NOT NULL,
    max_bytes         INTEGER   NOT NULL,
    override_editable BOOLEAN   NOT NULL,
    active            BOOLEAN   NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX auth_claims_server_id_target_name ON auth_claims (server_id, target, name);

-- +goose Down
DROP TABLE auth_claims;
