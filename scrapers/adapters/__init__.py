"""scrapers/adapters."""
