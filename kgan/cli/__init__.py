"""Thin absl-py command lines over the library (installed as console scripts)."""
