"""Command-line interface of nag."""
