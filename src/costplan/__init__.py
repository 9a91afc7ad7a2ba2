"""costplan: plan LLM spending.

Choose which model serves which queries so that quality is as high as possible
within a budget, or cost as low as possible above quality floors.
"""

__version__ = "0.1.0"
