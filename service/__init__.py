"""The service: settings, the PostGIS database (models, migrations, SQL), the FastAPI app
and the ``parks`` command line. Depends on :mod:`parks`, :mod:`gis` and :mod:`maps`;
nothing imports it."""
