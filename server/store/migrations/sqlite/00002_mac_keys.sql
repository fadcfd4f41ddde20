-- +goose Up
-- The key for keyed hashes (HMAC-SHA256) of client secrets and management
-- tokens, sealed by the secrets service. One row per key version.
CREATE TABLE secret_mac_keys (
    id         TEXT NOT NULL PRIMARY KEY,
    sealed     BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE secret_mac_keys;
