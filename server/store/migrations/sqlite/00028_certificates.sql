-- +goose Up
-- certmagic's storage (edge/certstore): TLS certificates of custom login
-- domains, their private keys and metadata, ACME accounts and challenge
-- tokens, shared by every node. object_key is certmagic's key, a path of
-- '/'-separated components with no leading or trailing slash; a
-- "directory" is only implied by the keys below it. Values whose key names
-- a private key (".key", ".key.compromised") are stored only sealed by the
-- secrets service, bound to ("", "certmagic.private-key", object_key), and
-- sealed says so; everything else (certificates, metadata JSON, tokens) is
-- stored as it is. size is the length of the value before sealing.
-- Prefix scans compare object_key bytewise (BINARY here, COLLATE "C" in
-- PostgreSQL), never with LIKE.
CREATE TABLE cert_objects (
    object_key  TEXT      NOT NULL PRIMARY KEY,
    value       BLOB      NOT NULL,
    sealed      BOOLEAN   NOT NULL,
    size        INTEGER   NOT NULL,
    modified_at TIMESTAMP NOT NULL
);

-- certmagic's cluster locks (edge/certstore), e.g. "issue_cert_<domain>"
-- so that one node obtains each certificate. holder is unique per
-- acquisition (the Storage's random ID and a counter); the holder renews
-- expires_at while it holds the lock and deletes the row when it unlocks.
-- A row whose expires_at has passed belongs to a holder that died: the
-- next Lock takes it over. Expiry is judged by each node's clock.
CREATE TABLE cert_locks (
    name        TEXT      NOT NULL PRIMARY KEY,
    holder      TEXT      NOT NULL,
    acquired_at TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE cert_locks;
DROP TABLE cert_objects;
