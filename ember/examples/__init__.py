"""Runnable examples: `python -m ember.examples.quickstart`."""
