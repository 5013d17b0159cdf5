"""govreports."""
