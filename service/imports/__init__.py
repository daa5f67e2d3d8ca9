"""Bringing data sets in: loading a GeoPackage of parks, parcels, buildings, leases,
projects, targets and context layers into the database (``loader``), and importing a
surveyor's parcel file as one change set after a stored dry run (``run``: reading and
translating it — ``incoming`` —, staging it, checking it against the land — ``placement``,
``standing`` —, the one set-based write — ``apply`` —, keeping its outcome — ``store`` —
and its reports)."""
