"""The shipped, trained model and its manifest (see model.py)."""
