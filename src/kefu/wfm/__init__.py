"""Workforce management (预测排班): staff each interval to its service level (``erlang``, ``erlang_a``, checked
by the simulator ``sim``), build the shifts that cover it (``schedule``) and measure adherence
(``adherence``). The modules here import no web framework and no database."""
