"""XGBoost pred_contribs (TreeSHAP) rows/s with one thread on the phishing test split.

Usage: python3 bench/lib/xgboost-contribs.py data/phishing.csv bench/fixtures/split_test_indices.json [seconds [model.json]]
Prints one JSON line: {"xgboost": version, "rows_per_s": ..., "rows": ...}. The anchor of
`npm run bench:explain` (100 trees, depth 6, hist, lr 0.3, as ../shared/baselines/xgboost_phishing.json).
With model.json, also saves the model there (XGBoost JSON) so the bench imports and explains the
same model, and writes its pred_contribs of the test rows to model.json.contribs (float64, rows x 31).
The label is Result == 1 (class 0 = -1, class 1 = 1: schema/phishing.yaml's class order); flipping
it only negates the margin, not the trees' shapes or the cost of pred_contribs.
"""
import json
import sys

import numpy as np
import xgboost as xgb

from xgboost_timing import contribs_rate

csv, split = sys.argv[1], sys.argv[2]
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 3.0
data = np.loadtxt(csv, delimiter=",", skiprows=1)
X, y = data[:, :30], (data[:, 30] == 1).astype(int)
test = np.array(json.load(open(split))["test_indices"])
mask = np.ones(len(y), bool)
mask[test] = False
model = xgb.XGBClassifier(n_estimators=100, max_depth=6, learning_rate=0.3, tree_method="hist", n_jobs=1)
model.fit(X[mask], y[mask])
booster = model.get_booster()
dm = xgb.DMatrix(X[test])
rate = contribs_rate(booster, dm, len(test), seconds)
if len(sys.argv) > 4:
    booster.save_model(sys.argv[4])
    booster.predict(dm, pred_contribs=True).astype(np.float64).tofile(sys.argv[4] + ".contribs")
print(json.dumps({"xgboost": xgb.__version__, "rows_per_s": rate, "rows": len(test)}))
