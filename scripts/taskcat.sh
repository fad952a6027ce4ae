#!/usr/bin/env bash
# taskcat test run against real AWS: `make taskcat` (needs credentials, e.g. AWS_PROFILE).
# Runs from build/dist (make package), which has the hosting-bucket layout taskcat uploads.
# Extra arguments go to taskcat, e.g. `scripts/taskcat.sh -t direct-builtin -r us-east-1`.
# TASKCAT, DRIFTGATE_PYTHON and DRIFTGATE_DIST override the tools and the tree (tests use them).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
taskcat="${TASKCAT:-$root/.venv-taskcat/bin/taskcat}"
python="${DRIFTGATE_PYTHON:-$root/.venv/bin/python}"
dist="${DRIFTGATE_DIST:-$root/build/dist}"

# Same refusal as make publish / make deploy, before taskcat's own NoCredentialsError.
(cd "$root" && "$python" -m scripts.aws_credentials) || exit $?
[[ -x "$taskcat" ]] || { echo "taskcat not found at $taskcat: run 'make taskcat'" >&2; exit 2; }
[[ -f "$dist/templates/pipeline.yml" ]] || { echo "no $dist: run 'make package'" >&2; exit 2; }

# taskcat reads .taskcat.yml and .taskcat_overrides.yml from the project root.
cp "$root/.taskcat.yml" "$dist/.taskcat.yml"
if [[ -f "$root/.taskcat_overrides.yml" ]]; then
  cp "$root/.taskcat_overrides.yml" "$dist/.taskcat_overrides.yml"
else
  rm -f "$dist/.taskcat_overrides.yml"
  echo "note: no .taskcat_overrides.yml; using the model group and artifacts bucket named in .taskcat.yml" >&2
fi

cd "$dist"
exec "$taskcat" test run --project-root . --input-file .taskcat.yml \
  --output-directory "$root/taskcat_outputs" "$@"
