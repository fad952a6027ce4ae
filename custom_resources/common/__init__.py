"""Helpers shared by the custom resources; `make package` copies this folder into each zip."""
