#!/usr/bin/env bash
# Takes a backup of Candour's PostgreSQL database and proves it can be used:
# the dump is restored into a scratch database and the restored audit log is
# verified with `candour audit verify` against the auditor's last saved
# checkpoint. A backup that does not pass is not a backup.
#
#   scripts/backup-check.sh SOURCE_URL SCRATCH_URL OUT.dump VERIFIER_KEY CHECKPOINT_FILE
#
# SOURCE_URL reads the database (the owner role, or a superuser); SCRATCH_URL
# names an empty database to restore into (it is dropped and made again by
# the caller, never by this script). CANDOUR is the candour binary (default:
# candour on the PATH). Nothing secret is printed: URLs are not echoed.
set -euo pipefail
if [ $# -ne 5 ]; then
  echo "usage: scripts/backup-check.sh SOURCE_URL SCRATCH_URL OUT.dump VERIFIER_KEY CHECKPOINT_FILE" >&2
  exit 2
fi
source_url=$1 scratch_url=$2 out=$3 key=$4 checkpoint=$5
candour=${CANDOUR:-candour}

# 1. The backup: PostgreSQL's custom format, with the schema, the data and
#    the grants; the application role's rights come back with it.
pg_dump --format=custom --no-owner --file="$out" "$source_url"
echo "backup written: $out ($(wc -c <"$out") bytes)"

# 2. Restore it where it can do no harm.
pg_restore --no-owner --exit-on-error --dbname="$scratch_url" "$out"
echo "restored into the scratch database"

# 3. The restored log must be consistent with what an auditor saw: a
#    restore from before the checkpoint, or a changed entry, fails here.
"$candour" audit verify --database "$scratch_url" --verifier-key "$key" --checkpoint "$checkpoint"
