"""Geometry, CRS and area helpers, file I/O and map building.

Imports nothing of this project's: the domain (``parks``) and the service both use it.
"""
