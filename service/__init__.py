"""The service: settings, the PostGIS database (models, migrations, SQL), the FastAPI app
and the ``parks`` command line. Depends on :mod:`parks` and :mod:`gis`; nothing imports it."""
