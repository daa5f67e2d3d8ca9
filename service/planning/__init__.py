"""Planning: what investment-attraction officers and the city's targets ask of the data —
context layers, the availability search for land, vacant factory floor per floor, the
targets each park must keep, and the yearly land-supply figure.

Every module takes an open connection and returns plain dicts (GeoJSON in EPSG:4326);
areas and distances are planar, in the storage CRS (EPSG:4545 metres by default).
"""
