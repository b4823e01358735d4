"""Discrete-event simulation of older people's journey through hospital and home."""

__version__ = "0.1.0"
