"""Confidentiality and pre-publication review of Chinese government documents."""

__version__ = "0.1.0"
