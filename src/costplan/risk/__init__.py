"""Uncertainty: the period's cost as a distribution (README "Uncertainty").

* :mod:`costplan.risk.volume`: a task's volume as a random variable;
* :mod:`costplan.risk.period`: the period total of a plan (normal approximation, or a
  seeded Monte Carlo when a volume is skewed), its quantiles and P(cost <= budget).

Nothing here imports the solvers; plans and reports call in.
"""
