-- +goose Up
-- Data keys of the secrets service: each is a random AES-256 key wrapped
-- (encrypted) by a key-encryption key from configuration, identified by kek_id.
CREATE TABLE secret_data_keys (
    id          TEXT      NOT NULL PRIMARY KEY,
    kek_id      TEXT      NOT NULL,
    wrapped     BLOB      NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    rewrapped_at TIMESTAMP NULL
);
CREATE INDEX secret_data_keys_kek_id ON secret_data_keys (kek_id);

-- +goose Down
DROP TABLE secret_data_keys;
