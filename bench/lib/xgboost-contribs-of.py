"""XGBoost pred_contribs (TreeSHAP) rows/s with one thread on a given model and given rows.

Usage: python3 bench/lib/xgboost-contribs-of.py model.json rows.f32 columns [seconds]
rows.f32 is the model matrix (float32, row-major, rows x columns: what our model scores, NaN =
missing). Writes pred_contribs of the rows to model.json.contribs (float64, rows x (columns + 1),
the bias last) and prints one JSON line: {"xgboost": version, "rows_per_s": ..., "rows": ...}.
`npm run bench:explain` runs it on the served model exported by exportXgboost, so both sides
explain the same trees on the same rows.
"""
import json
import sys

import numpy as np
import xgboost as xgb

from xgboost_timing import contribs_rate

model, rows_file, cols = sys.argv[1], sys.argv[2], int(sys.argv[3])
seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 3.0
X = np.fromfile(rows_file, dtype=np.float32).reshape(-1, cols)
booster = xgb.Booster(model_file=model)
booster.set_param({"nthread": 1})
dm = xgb.DMatrix(X, missing=np.nan, feature_names=booster.feature_names)
rate = contribs_rate(booster, dm, len(X), seconds)
booster.predict(dm, pred_contribs=True).astype(np.float64).tofile(model + ".contribs")
print(json.dumps({"xgboost": xgb.__version__, "rows_per_s": rate, "rows": len(X)}))
