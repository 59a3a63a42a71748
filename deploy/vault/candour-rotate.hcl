# The Vault policy of whoever runs `candour keys rotate` (an administrator, not
# the service): rotate the key-encryption key, rewrap data keys under its new
# version inside Vault, and retire old versions (min_decryption_version).
# It cannot export or delete the key.
path "transit/keys/candour-kek" {
  capabilities = ["read"]
}

path "transit/keys/candour-kek/rotate" {
  capabilities = ["update"]
}

path "transit/keys/candour-kek/config" {
  capabilities = ["update"]
}

path "transit/rewrap/candour-kek" {
  capabilities = ["update"]
}

path "secret/data/candour/subject-hmac" {
  capabilities = ["read"]
}
