"""The stage-progress signal: asked by the lists' gates for a stage another capability produces."""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()
# Asked by the lists' gates (merit/readiness.py) for a stage produced elsewhere: a receiver
# (the interviews for Part C) returns {"open": {application ids still being decided},
# "absent": {application ids recorded absent}} for `round_` and `stage_kind`, so that scores
# and lists need not know the capability that produces the stage.
stage_progress = signals.signal("stage-progress")
