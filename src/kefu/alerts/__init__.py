"""Complaint-spike alerting (上报预警, SPEC M6).

Pure parts (no web framework, no database): ``rules`` (the rules file, validated), ``counters`` (sliding
windows over bucketed counts), ``similar`` (same-issue text matching after Chinese word segmentation) and
``engine`` (a streaming evaluator: levels, escalation, one open alert per rule and category, cool-down),
used by ``kefu alerts backtest`` and the benchmark. The live path (``live``, ``store``, ``sinks``) keeps the
counts in the database so several server processes share them.
"""
