-- +goose Up
-- The SCIM provisioning scopes (issue 17) on every default authorization
-- server made before them; EnsureDefault (server/oidc/authserver) gives
-- new default servers the same. Machine scopes only, no consent, built in
-- (system), and granted to no client: clients ["none"] names a client no
-- app is, until an admin lists the provisioning app. A scope of the same
-- name an admin made before is left as it is. The IDs are scp_ with 26
-- characters of the ID alphabet (hexadecimal digits, the first 0). Every
-- default server's config_version moves, so that no node keeps a cached
-- configuration without them.
WITH v (name, description) AS (VALUES
    ('scim.users.read', 'Read the tenant''s users through SCIM.'),
    ('scim.users.write', 'Create, change and remove the tenant''s users through SCIM, and read them.'),
    ('scim.groups.read', 'Read the tenant''s groups through SCIM.'),
    ('scim.groups.write', 'Create, change and remove the tenant''s groups through SCIM, and read them.'))
INSERT INTO auth_scopes (id, server_id, tenant_id, name, description, kinds, implies, consent, is_default, clients, system, created_at, updated_at)
SELECT 'scp_0' || substr(lower(hex(randomblob(16))), 1, 25), s.id, s.tenant_id, v.name, v.description,
       '["machine"]', '[]', FALSE, FALSE, '["none"]', TRUE, s.created_at, s.created_at
FROM auth_servers s CROSS JOIN v
WHERE s.name = 'default'
  AND NOT EXISTS (SELECT 1 FROM auth_scopes x WHERE x.server_id = s.id AND x.name = v.name);
UPDATE auth_servers SET config_version = random() WHERE name = 'default';

-- +goose Down
DELETE FROM auth_scopes WHERE system AND name IN ('scim.users.read', 'scim.users.write', 'scim.groups.read', 'scim.groups.write');
UPDATE auth_servers SET config_version = random() WHERE name = 'default';
