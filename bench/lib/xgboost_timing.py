"""Shared by the bench's XGBoost scripts: pred_contribs rows/s of a booster on a DMatrix."""
import time


def contribs_rate(booster, dm, rows, seconds):
    """Rows/s of booster.predict(dm, pred_contribs=True) over `seconds`, after one untimed call."""
    booster.predict(dm, pred_contribs=True)
    done = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        booster.predict(dm, pred_contribs=True)
        done += rows
    return done / (time.perf_counter() - t0)
