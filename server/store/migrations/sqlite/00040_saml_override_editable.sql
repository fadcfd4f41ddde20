-- +goose Up
-- saml_apps.override_editable: an app's attribute rules may read what
-- people edit themselves only when an admin set this (DESIGN: nothing
-- people edit grants access without an explicit override).
ALTER TABLE saml_apps ADD COLUMN override_editable BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE saml_apps DROP COLUMN override_editable;
