#!/usr/bin/env python3
"""Baselines for bench:quality: logistic regression and XGBoost on the same split as ours.

  /usr/bin/python3 quality_baselines.py TRAIN.csv TEST.csv

Both files: a header, numeric columns, the label in `action_taken`. Prints one JSON object
{"logreg_auc", "xgb_auc", "xgboost"}. One thread each, fixed seeds.
"""
import json, sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def load(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    label = header.index("action_taken")
    return np.delete(data, label, axis=1), data[:, label]


Xtr, ytr = load(sys.argv[1])
Xte, yte = load(sys.argv[2])
out = {}
logreg = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
logreg.fit(Xtr, ytr)
out["logreg_auc"] = roc_auc_score(yte, logreg.predict_proba(Xte)[:, 1])
try:
    import xgboost

    xgb = xgboost.XGBClassifier(
        n_estimators=400, max_depth=4, learning_rate=0.05, subsample=0.9, colsample_bytree=0.9,
        tree_method="hist", n_jobs=1, random_state=42,
    )
    xgb.fit(Xtr, ytr)
    out["xgb_auc"] = roc_auc_score(yte, xgb.predict_proba(Xte)[:, 1])
    out["xgboost"] = xgboost.__version__
except ImportError:
    out["xgb_auc"] = None
print(json.dumps(out))
