# The Vault policy of the Candour service: exactly what the transit provider
# uses, nothing more. The key-encryption key (candour-kek) must be created
# non-exportable with deletion not allowed (the transit defaults); this policy
# grants no access to keys/*/config, export or delete, so the service can
# neither export nor delete it.
#
#   vault secrets enable transit
#   vault write -f transit/keys/candour-kek
#   vault write -f transit/keys/candour-subject
#   vault policy write candour deploy/vault/candour.hcl

path "transit/encrypt/candour-kek" {
  capabilities = ["update"]
}

path "transit/decrypt/candour-kek" {
  capabilities = ["update"]
}

path "transit/hmac/candour-subject/sha2-256" {
  capabilities = ["update"]
}
