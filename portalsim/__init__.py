"""portalsim."""
