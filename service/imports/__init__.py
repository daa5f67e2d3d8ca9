"""Bringing data sets in: loading a GeoPackage of parks, parcels, buildings, leases,
projects, targets and context layers into the database."""
