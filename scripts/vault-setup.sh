#!/usr/bin/env bash
# Sets HashiCorp Vault up for Candour: the steps of docs/operations.md (Keys),
# run as an administrator. Safe to run again: it creates what is missing and
# never replaces a key or the subject-hash secret (every stored subject hash
# depends on it).
#
#   VAULT_ADDR=https://vault.internal:8200 VAULT_TOKEN=… scripts/vault-setup.sh
#
# It prints the AppRole credentials of the service as two lines,
# CANDOUR_VAULT_ROLE_ID=… and CANDOUR_VAULT_SECRET_ID=…: put them in the
# service's secret store (the secret id is shown once; run again for a new
# one). VAULT_BIN names the vault command when it is not on PATH.
# go test -run TestVaultSetupScript ./vault/transit runs it against a Vault
# dev server, so that the steps stay true.
set -euo pipefail
{
vault=${VAULT_BIN:-vault}
root=$(cd "$(dirname "$0")/.." && pwd)
: "${VAULT_ADDR:?set VAULT_ADDR to Vault's address}"
: "${VAULT_TOKEN:?set VAULT_TOKEN to an administrator's token}"

# mounted reports whether an engine (secrets) or method (auth) is at path.
# The list is read whole first: grep -q stopping early would break the pipe,
# and pipefail would take that for "not mounted".
mounted() {
  local list
  list=$("$vault" "$1" list -format=json)
  grep -q "\"$2/\"" <<<"$list"
}

# Transit, with the key-encryption key (non-exportable, not deletable: the
# defaults) and the Ed25519 key that signs audit checkpoints.
mounted secrets transit || "$vault" secrets enable transit >&2
"$vault" read transit/keys/candour-kek >/dev/null 2>&1 || "$vault" write -f transit/keys/candour-kek >&2
"$vault" read transit/keys/candour-audit >/dev/null 2>&1 || "$vault" write transit/keys/candour-audit type=ed25519 >&2

# The subject-hash secret, in a KV version 2 engine at secret/.
mounted secrets secret || "$vault" secrets enable -path=secret kv-v2 >&2
if ! "$vault" kv get secret/candour/subject-hmac >/dev/null 2>&1; then
  "$vault" kv put secret/candour/subject-hmac key="$(head -c 32 /dev/urandom | base64)" >&2
fi

# The service's policy, and the one for administrators who rotate keys.
"$vault" policy write candour "$root/deploy/vault/candour.hcl" >&2
"$vault" policy write candour-rotate "$root/deploy/vault/candour-rotate.hcl" >&2

# AppRole login for the service: tokens of an hour, renewable for a day (the
# server renews them and logs in again before they expire).
mounted auth approle || "$vault" auth enable approle >&2
"$vault" write auth/approle/role/candour token_policies=candour token_ttl=1h token_max_ttl=24h >&2
echo "CANDOUR_VAULT_ROLE_ID=$("$vault" read -field=role_id auth/approle/role/candour/role-id)"
echo "CANDOUR_VAULT_SECRET_ID=$("$vault" write -f -field=secret_id auth/approle/role/candour/secret-id)"
exit
}
