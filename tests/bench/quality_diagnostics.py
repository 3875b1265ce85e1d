#!/usr/bin/env python3
"""Why the bench:quality gaps are what they are: run after bench:quality, on the CSVs it leaves.

  npm run bench:quality -- --n 20000 && /usr/bin/python3 tests/bench/quality_diagnostics.py

- sample: logistic regression given the generator's own functional form (log size with the
  missing size at the median, its square, the drift and interaction terms) on the same training
  rows: what a well-specified model reaches at this size, next to the Bayes AUC of the features;
- uci-bank: XGBoost limited to depth 1 (additive) and 2, and without the day of month: how much
  of its lead is feature interactions;
- maven-crm: XGBoost on `engage_days` alone and without it: where its lead comes from.
One thread, fixed seeds; prints one line per figure.
"""
import os
import tempfile

import numpy as np
import xgboost
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

TMP = tempfile.gettempdir()


def load(name, part):
    path = os.path.join(TMP, f"opp-quality-{name}-{part}.csv")
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    label = header.index("action_taken")
    return np.delete(data, label, axis=1), data[:, label], [c for c in header if c != "action_taken"]


def xgb_auc(xtr, ytr, xte, yte, depth=4):
    model = xgboost.XGBClassifier(
        n_estimators=400, max_depth=depth, learning_rate=0.05, subsample=0.9, colsample_bytree=0.9,
        tree_method="hist", n_jobs=1, random_state=42,
    )
    model.fit(xtr, ytr)
    return roc_auc_score(yte, model.predict_proba(xte)[:, 1])


def logreg_auc(xtr, ytr, xte, yte):
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000)).fit(xtr, ytr)
    return roc_auc_score(yte, model.predict_proba(xte)[:, 1])


def sample_forms(x, names, form):
    col = {n: x[:, i] for i, n in enumerate(names)}
    size = col["project_size"]
    known = size > 0
    log_size = np.where(known, np.log(np.where(known, size, 1.0)), np.log(15000.0)) - np.log(20000.0)
    extra = []
    if form in ("log1p", "log1p+square"):
        out = x.copy()
        out[:, names.index("project_size")] = np.log1p(size)
        if form == "log1p+square":
            extra = [np.log1p(size) ** 2]
        return np.column_stack([out, *extra]) if extra else out
    # The generator's form: the missing size at its median, the square, drift and interactions.
    out = x.copy()
    out[:, names.index("project_size")] = log_size
    years = col["timestamp_days"] / 365.25 - 3
    extra = [
        log_size**2,
        col["segment_education"] * years,
        col["segment_entertainment_transit"] * years,
        col["hotel_vip"] * col["segment_hospitality_retail_dialysis"],
        col["large_project_vip"] * col["segment_healthcare"],
    ]
    return np.column_stack([out, *extra])


def main():
    xtr, ytr, names = load("sample", "train")
    xte, yte, _ = load("sample", "test")
    for form in ("log1p", "log1p+square", "generator form"):
        auc = logreg_auc(sample_forms(xtr, names, form), ytr, sample_forms(xte, names, form), yte)
        print(f"sample: logistic regression, {form}: {auc:.4f}")

    xtr, ytr, names = load("uci-bank", "train")
    xte, yte, _ = load("uci-bank", "test")
    for depth in (1, 2, 4):
        print(f"uci-bank: XGBoost depth {depth}: {xgb_auc(xtr, ytr, xte, yte, depth):.4f}")
    no_day = [i for i, n in enumerate(names) if "_day" not in n]
    print(f"uci-bank: XGBoost depth 4 without day of month: {xgb_auc(xtr[:, no_day], ytr, xte[:, no_day], yte):.4f}")

    xtr, ytr, names = load("maven-crm", "train")
    xte, yte, _ = load("maven-crm", "test")
    e = names.index("engage_days")
    rest = [i for i in range(len(names)) if i != e]
    print(f"maven-crm: XGBoost depth 1: {xgb_auc(xtr, ytr, xte, yte, 1):.4f}")
    print(f"maven-crm: XGBoost depth 1, engage_days alone: {xgb_auc(xtr[:, [e]], ytr, xte[:, [e]], yte, 1):.4f}")
    print(f"maven-crm: XGBoost depth 1, without engage_days: {xgb_auc(xtr[:, rest], ytr, xte[:, rest], yte, 1):.4f}")


if __name__ == "__main__":
    main()
