"""Custom NLU components of the intake bot."""
