"""Training programs (run by hand, not installed): the claim checker."""
