"""Geometry only: CRS, geometry and area helpers, tile math and geodata files.

Imports nothing of this project's: the domain (``parks``), the maps (``maps``) and the
service use it.
"""
