#!/bin/sh
# Entry point of the serving container on Azure ML managed online endpoints.
# Azure ML mounts the registered model under $AZUREML_MODEL_DIR (the bundle folder may sit one
# or two levels down, named after the uploaded folder): find the folder holding metrics.json.
# OPP_DIVISION (per-division mode) is passed through the environment.
set -eu
root="${AZUREML_MODEL_DIR:-/opt/opp/bundle}"
metrics="$(find "$root" -maxdepth 3 -name metrics.json | head -n 1)"
if [ -z "$metrics" ]; then
  echo "no metrics.json under $root: is AZUREML_MODEL_DIR a model bundle?" >&2
  exit 1
fi
# `opp serve` comes with the scoring-server issue; its flags may still change.
exec opp serve --bundle "$(dirname "$metrics")" --host 0.0.0.0 --port "${PORT:-8080}"
