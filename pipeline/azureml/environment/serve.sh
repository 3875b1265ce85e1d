#!/bin/sh
# Entry point (CMD) of the opp image on an Azure ML managed online deployment (custom container).
#
# Azure ML mounts the registered model under $AZUREML_MODEL_DIR (the model's own folders sit
# below it, e.g. <model-name>/<version>/); `opp serve` finds the training output
# (metrics.json + a bundle per division) or a single bundle in that mount by itself.
# The endpoint authenticates callers (key or Entra token) in front of the container, so the
# server inside runs without keys of its own: --no-auth.
# It listens on the port that serve-environment.yml's inference_config declares (5001, the
# AZUREML_SERVING_PORT of pipeline/azureml/serving-contract.ts); $OPP_SERVE_PORT overrides it.
set -eu
exec opp serve --host 0.0.0.0 --port "${OPP_SERVE_PORT:-5001}" --no-auth
