#!/usr/bin/env python3
"""Optuna's TPE driving a PyTorch MLP trainer on `opp hpo`'s training task: the anchor that
`npm run bench:hpo-training` compares our TPE with. A benchmark tool, not a runtime dependency.

Needs Debian's python3-torch, python3-sklearn and python3-optuna; run with /usr/bin/python3.

  /usr/bin/python3 optuna_training.py --train train.csv --validation validation.csv
      --space configs/search-space.json --seed 0 [--trials 170] [--budgets 50,170]
      [--max-epochs 50] [--patience 5] [--lr-plateau 0.3,2] [--fit-seed 42] [--pruner median|none]
      [--startup-trials 5] [--warmup-epochs 2] [--threads 1] [--activation relu]
      [--sampler optuna|opp] [--sampler-command "node build/bench/tpe-ask.js"]

train.csv / validation.csv: a header row, then numeric columns; `action_taken` is the label,
every other column a feature, already standardised (the bench writes the rows of our own HPO
split, scaled by the training rows' scaler, so both sides score the same validation rows).

The search space is read from opp's search-space JSON and translated to Optuna's `suggest_*`
calls: int (log, step) -> suggest_int, uniform / log-uniform / quantized-uniform ->
suggest_float (log / step), categorical -> suggest_categorical; a parameter with `when` is
suggested only when its parent exists and meets the condition (in / min / max), as opp does.

Each trial trains the network the seed's way in PyTorch (nn.Linear layers with PyTorch's
default initialisation, activation + dropout after each hidden layer, BCE with logits;
Adam / AdamW / SGD with `weight_decay` as torch defines it; rebalancing: none, class-weight
(scikit-learn's "balanced" row weights) or oversample (minority rows drawn with replacement)),
up to --max-epochs epochs with early stopping when the validation loss has not improved for
--patience epochs. After each epoch it reports the validation AUC to Optuna
(`trial.report(auc, epoch)`, epochs numbered from 1) and stops when Optuna's MedianPruner
says so. The trial's value is its best validation AUC over the epochs run. Every trial uses
the same fit seed, so the value is a function of the parameters (as in opp's objective).

With --test, each complete trial's kept model (the best-validation-loss epoch's) is also
scored on those held-out rows (`test` per trial; trials are not chosen by it).

With --sampler opp, the study is the same (Optuna's loop, MedianPruner and this trainer) but
each trial's parameters come from opp's sampler: --sampler-command (tests/bench/tpe-ask.ts) is
started once with `--space` and `--seed`, sent the finished trials as JSON lines and answers
each with the next parameters, which are enqueued (`study.enqueue_trial`) and checked to be
the ones the trial ran. Only the sampler then differs from Optuna's study.

Prints one JSON object: seed, best complete value within each budget, complete / pruned /
failed counts, epochs per trial, wall seconds, and every trial's state, value, params, validation
AUC per epoch (intermediate) and test AUC.
"""
import argparse, json, shlex, subprocess, time

import numpy as np
import optuna
import torch
import torch.nn as nn
from sklearn.metrics import roc_auc_score

LABEL = "action_taken"
ACTIVATIONS = {"relu": nn.ReLU, "elu": nn.ELU, "selu": nn.SELU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}


def read_rows(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32, ndmin=2)
    label = header.index(LABEL)
    features = [i for i in range(len(header)) if i != label]
    return torch.from_numpy(np.ascontiguousarray(data[:, features])), data[:, label].astype(np.float32)


def exists(spec, params):
    """Whether a parameter exists given the parameters suggested so far (opp's `when` rule)."""
    when = spec.get("when")
    if when is None:
        return True
    parent = params.get(when["param"])
    if parent is None:
        return False
    if "in" in when and parent not in when["in"]:
        return False
    if "min" in when and parent < when["min"]:
        return False
    if "max" in when and parent > when["max"]:
        return False
    return True


def suggest(trial, name, spec):
    kind = spec["type"]
    if kind == "int":
        return trial.suggest_int(name, spec["low"], spec["high"], step=spec.get("step", 1), log=spec.get("log", False))
    if kind == "uniform":
        return trial.suggest_float(name, spec["low"], spec["high"])
    if kind == "log-uniform":
        return trial.suggest_float(name, spec["low"], spec["high"], log=True)
    if kind == "quantized-uniform":
        return trial.suggest_float(name, spec["low"], spec["high"], step=spec["step"])
    if kind == "categorical":
        return trial.suggest_categorical(name, spec["choices"])
    raise ValueError(f"unknown parameter type {kind!r} of {name!r}")


def suggest_all(trial, space):
    """Suggests parents before the parameters conditioned on them, in the file's order otherwise."""
    params, pending = {}, dict(space)
    while pending:
        ready = [n for n, s in pending.items() if "when" not in s or s["when"]["param"] not in pending]
        if not ready:
            raise ValueError(f"conditions form a cycle among {sorted(pending)}")
        for name in ready:
            spec = pending.pop(name)
            if exists(spec, params):
                params[name] = suggest(trial, name, spec)
    return params


def network(n_in, params, activation):
    """opp's `applyTrainingParams`: hiddenLayers layers of hiddenUnits, layer2Units, layer3Units."""
    units = [params["hiddenUnits"], params.get("layer2Units"), params.get("layer3Units")][: params["hiddenLayers"]]
    layers = []
    for u in units:
        layers += [nn.Linear(n_in, u), ACTIVATIONS[activation](), nn.Dropout(params["dropout"])]
        n_in = u
    return nn.Sequential(*layers, nn.Linear(n_in, 1))


def rebalanced(x, y, method, rng):
    """(x, y, row weights or None) after rebalancing the training rows."""
    pos = int(y.sum())
    neg = len(y) - pos
    if method == "none" or pos == 0 or neg == 0:
        return x, y, None
    if method == "class-weight":
        w = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * neg)).astype(np.float32)
        return x, y, torch.from_numpy(w)
    minority = np.flatnonzero(y == (1 if pos < neg else 0))
    idx = np.concatenate([np.arange(len(y)), rng.choice(minority, size=abs(neg - pos), replace=True)])
    return x[torch.from_numpy(idx)], y[idx], None


def objective_for(a, space, xtr, ytr, xva, yva, xte=None, yte=None):
    yva_t = torch.from_numpy(yva)
    bce = nn.BCEWithLogitsLoss()
    epochs_run = []

    def objective(trial):
        params = suggest_all(trial, space)
        torch.manual_seed(a.fit_seed)
        rng = np.random.default_rng(a.fit_seed)
        x, y, w = rebalanced(xtr, ytr, params["rebalancing"], rng)
        y_t = torch.from_numpy(y)
        model = network(x.shape[1], params, a.activation)
        opt = OPTIMIZERS[params["optimizer"]](model.parameters(), lr=params["learningRate"], weight_decay=params["weightDecay"])
        # The config's lrSchedule, as opp's engines apply it (PyTorch's own ReduceLROnPlateau rule).
        plateau = (
            torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=a.lr_plateau[0], patience=int(a.lr_plateau[1]))
            if a.lr_plateau
            else None
        )
        n, batch = x.shape[0], params["batchSize"]
        best_auc, best_loss, best_epoch, epoch = float("-inf"), float("inf"), 0, 0
        try:
            for epoch in range(1, a.max_epochs + 1):
                model.train()
                for idx in torch.randperm(n).split(batch):
                    opt.zero_grad()
                    z = model(x[idx]).squeeze(1)
                    if w is None:
                        loss = bce(z, y_t[idx])
                    else:
                        loss = (nn.functional.binary_cross_entropy_with_logits(z, y_t[idx], reduction="none") * w[idx]).mean()
                    loss.backward()
                    opt.step()
                model.eval()
                with torch.no_grad():
                    logits = model(xva).squeeze(1)
                    val_loss = float(bce(logits, yva_t))
                if not np.isfinite(val_loss):
                    raise RuntimeError(f"validation loss is {val_loss} at epoch {epoch}")
                if plateau is not None:
                    plateau.step(val_loss)
                if val_loss < best_loss:
                    best_loss, best_epoch = val_loss, epoch
                    if xte is not None:
                        # The kept model is the best-validation-loss epoch's (as opp train keeps).
                        with torch.no_grad():
                            test_logits = model(xte).squeeze(1)
                auc = float(roc_auc_score(yva, logits.numpy()))
                best_auc = max(best_auc, auc)
                trial.report(auc, epoch)
                if trial.should_prune():
                    raise optuna.TrialPruned()
                if epoch - best_epoch >= a.patience:
                    break
        finally:
            epochs_run.append(epoch)
        if xte is not None:
            trial.set_user_attr("test_auc", float(roc_auc_score(yte, test_logits.numpy())))
        return best_auc

    return objective, epochs_run


STATES = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed"}


def finished_trial(t):
    """A finished Optuna trial as opp's sampler reads it (tests/bench/tpe-ask.ts)."""
    steps = sorted(t.intermediate_values)
    return {
        "number": t.number,
        "state": STATES[t.state.name],
        **({"value": t.value} if t.value is not None else {}),
        "params": t.params,
        "intermediate": [{"step": s, "value": t.intermediate_values[s]} for s in steps],
    }


def optimize_with_opp(study, objective, a):
    """Runs a.trials trials, each with the parameters opp's sampler proposes from the history."""
    ask = subprocess.Popen(shlex.split(a.sampler_command) + ["--space", a.space, "--seed", str(a.seed)],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        for number in range(a.trials):
            history = [finished_trial(t) for t in study.trials]
            ask.stdin.write(json.dumps({"number": number, "trials": history}) + "\n")
            ask.stdin.flush()
            line = ask.stdout.readline()
            if not line:
                raise RuntimeError(f"the sampler command exited before trial {number}")
            params = json.loads(line)["params"]
            study.enqueue_trial(params)
            study.optimize(objective, n_trials=1, catch=(RuntimeError,))
            ran = study.trials[-1]
            if ran.number != number or set(ran.params) != set(params) or any(
                    abs(ran.params[k] - v) > 1e-12 if isinstance(v, float) else ran.params[k] != v
                    for k, v in params.items()):
                raise RuntimeError(f"trial {ran.number} ran {ran.params}, not the proposed {params}")
    finally:
        ask.stdin.close()
        ask.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--validation", required=True)
    ap.add_argument("--test", help="held-out rows: each complete trial's kept model is scored on them")
    ap.add_argument("--space", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--trials", type=int, default=170)
    ap.add_argument("--budgets", default="50,170")
    ap.add_argument("--max-epochs", type=int, default=50)
    ap.add_argument("--patience", type=int, default=5)
    ap.add_argument("--lr-plateau", type=lambda v: [float(p) for p in v.split(",")], default=None,
                    help="FACTOR,PATIENCE: cut the learning rate on validation-loss plateaus (configs' lrSchedule)")
    ap.add_argument("--fit-seed", type=int, default=42)
    ap.add_argument("--pruner", choices=["median", "none"], default="median")
    ap.add_argument("--startup-trials", type=int, default=5)
    ap.add_argument("--warmup-epochs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--activation", default="relu")
    ap.add_argument("--sampler", choices=["optuna", "opp"], default="optuna")
    ap.add_argument("--sampler-command", default="node build/bench/tpe-ask.js",
                    help="opp's sampler as a JSON-lines process (with --sampler opp)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with open(a.space) as f:
        space = json.load(f)["parameters"]
    xtr, ytr = read_rows(a.train)
    xva, yva = read_rows(a.validation)
    xte, yte = read_rows(a.test) if a.test else (None, None)
    objective, epochs_run = objective_for(a, space, xtr, ytr, xva, yva, xte, yte)
    pruner = (optuna.pruners.MedianPruner(n_startup_trials=a.startup_trials, n_warmup_steps=a.warmup_epochs)
              if a.pruner == "median" else optuna.pruners.NopPruner())
    # With --sampler opp every trial is enqueued, so the study's own sampler is never asked.
    sampler = optuna.samplers.TPESampler(seed=a.seed) if a.sampler == "optuna" else optuna.samplers.RandomSampler(seed=a.seed)
    study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    t0 = time.perf_counter()
    if a.sampler == "optuna":
        study.optimize(objective, n_trials=a.trials, catch=(RuntimeError,))
    else:
        optimize_with_opp(study, objective, a)
    wall = time.perf_counter() - t0
    trials = study.trials
    states = [t.state.name.lower() for t in trials]
    budgets = [int(b) for b in a.budgets.split(",")]
    best = {}
    for b in budgets:
        values = [t.value for t in trials[:b] if t.state == optuna.trial.TrialState.COMPLETE]
        best[b] = max(values) if values else None
    print(json.dumps({
        "seed": a.seed, "sampler": a.sampler, "optuna": optuna.__version__, "torch": torch.__version__,
        "n_train": int(xtr.shape[0]), "n_validation": int(xva.shape[0]),
        "best": best, "complete": states.count("complete"), "pruned": states.count("pruned"),
        "failed": states.count("fail"), "epochs_per_trial": round(sum(epochs_run) / max(len(epochs_run), 1), 2),
        "wall_s": round(wall, 2),
        "trials": [{"state": s, "value": t.value, "params": t.params, "test": t.user_attrs.get("test_auc"),
                    "intermediate": [t.intermediate_values[e] for e in sorted(t.intermediate_values)]}
                   for s, t in zip(states, trials)],
    }))


if __name__ == "__main__":
    main()
