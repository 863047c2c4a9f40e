"""Builders that turn an architecture description into a runnable ``nn.Module``."""
