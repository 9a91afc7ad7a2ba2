"""Importers from public price catalogs (genai-prices, LiteLLM, OpenRouter) to price sheets."""
