-- +goose Up
-- Profile-enrollment policies (server/policy, issue 10): one per app
-- (app_id) and an optional tenant default (app_id ''), used by apps
-- without one of their own. registration turns self-registration on;
-- user_type_id is the type of registered users ('' for the tenant's
-- default type). attributes is the JSON array of what registration asks,
-- in order: each {name, required}; progressive the JSON array of what
-- later sign-ins ask while missing: each {name, required, after_sign_ins}.
-- email_verification is 'before' or 'after'.
CREATE TABLE enrollment_policies (
    id                 TEXT      NOT NULL PRIMARY KEY,
    tenant_id          TEXT      NOT NULL,
    app_id             TEXT      NOT NULL,
    registration       BOOLEAN   NOT NULL,
    user_type_id       TEXT      NOT NULL,
    attributes         JSONB     NOT NULL,
    progressive        JSONB     NOT NULL,
    email_verification TEXT      NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX enrollment_policies_tenant_id_app_id ON enrollment_policies (tenant_id, app_id);

-- The self-service recovery policy of a tenant; a tenant without a row
-- has the defaults. factor is 'none', 'if_enrolled' or 'required';
-- factors the JSON array of the enrolled authenticators that count;
-- token_ttl the life of the emailed code and link, whole seconds.
CREATE TABLE recovery_policies (
    tenant_id  TEXT      NOT NULL PRIMARY KEY,
    enabled    BOOLEAN   NOT NULL,
    factor     TEXT      NOT NULL,
    factors    JSONB     NOT NULL,
    token_ttl  BIGINT    NOT NULL,
    notify     BOOLEAN   NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Versions of a tenant's terms and privacy documents (server/terms). kind
-- is 'terms' or 'privacy'; version is unique per kind; seq counts the
-- tenant's publications (1, 2, …), so the current version of a kind is
-- the one with the greatest seq whatever the clocks said.
CREATE TABLE terms_documents (
    id           TEXT      NOT NULL PRIMARY KEY,
    tenant_id    TEXT      NOT NULL,
    kind         TEXT      NOT NULL,
    version      TEXT      NOT NULL,
    seq          BIGINT    NOT NULL,
    title        TEXT      NOT NULL,
    url          TEXT      NOT NULL,
    required     BOOLEAN   NOT NULL,
    published_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX terms_documents_tenant_id_kind_version ON terms_documents (tenant_id, kind, version);
CREATE UNIQUE INDEX terms_documents_tenant_id_seq ON terms_documents (tenant_id, seq);

-- Which document versions each user accepted, and when. Rows are kept
-- when newer versions are published; they go when the user is erased.
CREATE TABLE terms_acceptances (
    tenant_id   TEXT      NOT NULL,
    user_id     TEXT      NOT NULL,
    document_id TEXT      NOT NULL,
    accepted_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, user_id, document_id)
);

-- Successful sign-ins of each user, for progressive profiling.
ALTER TABLE users ADD COLUMN sign_in_count BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN sign_in_count;
DROP TABLE terms_acceptances;
DROP TABLE terms_documents;
DROP TABLE recovery_policies;
DROP TABLE enrollment_policies;
