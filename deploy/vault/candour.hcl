# The Vault policy of the Candour service: exactly what the transit provider
# uses, nothing more. The key-encryption key (candour-kek) must be created
# non-exportable with deletion not allowed (the transit defaults); this policy
# grants no access to keys/*/config, export or delete, so the service can
# neither export nor delete it.
#
#   vault secrets enable transit
#   vault write -f transit/keys/candour-kek
#   vault write transit/keys/candour-audit type=ed25519   # to sign audit checkpoints in Vault
#   vault kv put secret/candour/subject-hmac key="$(head -c 32 /dev/urandom | base64)"
#   vault policy write candour deploy/vault/candour.hcl
#
# The subject-hash secret must never change: every stored subject hash depends
# on it. Back it up with Vault's own backups.

path "transit/encrypt/candour-kek" {
  capabilities = ["update"]
}

path "transit/decrypt/candour-kek" {
  capabilities = ["update"]
}

# Signing audit checkpoints with a transit key (candour server
# --audit-transit-key candour-audit): read its public key, and sign. Leave
# these out when checkpoints are signed with a key file.
path "transit/keys/candour-audit" {
  capabilities = ["read"]
}

path "transit/sign/candour-audit" {
  capabilities = ["update"]
}

path "secret/data/candour/subject-hmac" {
  capabilities = ["read"]
}

# Keeping its own token alive: look it up (readiness reports a revoked or
# expired token) and renew it before it expires. A token whose max TTL is
# reached cannot be renewed; the service then logs in again with AppRole.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}

path "auth/token/renew-self" {
  capabilities = ["update"]
}
