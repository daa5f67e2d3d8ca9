"""The one lock every GDAL read of a handed-over file goes through.

GDAL's configuration options are process-wide: ``pyogrio.set_gdal_config_options`` sets
them for every thread (the DXF reader sets ``DXF_ENCODING`` and friends), and pyogrio
sets ``SHAPE_ENCODING`` while it reads a Shapefile with an encoding given (thread-locally
in recent pyogrio, for the whole process in older ones). In the web service two imports
may read files at once in the thread pool; were they to overlap, one could read with the
other's settings. So every GDAL call that reads a source (listing its layers, its
layer's info, the layer itself) is made holding :data:`GDAL_LOCK`, through
:func:`gdal_locked`, and configuration options are only changed there too.

Only the GDAL calls are serialised: deciding the encoding (reading a file's bytes) and
building frames from what GDAL returned are not.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pyogrio

#: Held around every GDAL read and configuration change of :mod:`gis.reading` and
#: :mod:`gis.dxf`. Re-entrant, so a helper that takes it may be called by one holding it.
GDAL_LOCK = threading.RLock()


@contextmanager
def gdal_locked(**config: str) -> Iterator[None]:
    """Hold :data:`GDAL_LOCK` for the block, with the GDAL configuration options *config*
    (name=value) set while it is held and put back as they were (unset ones unset) when
    the block ends, also when it raises. With no *config* only the lock is taken.

    Make every GDAL read inside one of these blocks: a read outside can see the options
    a block sets.
    """
    with GDAL_LOCK:
        if not config:
            yield
            return
        previous = {name: pyogrio.get_gdal_config_option(name) for name in config}
        pyogrio.set_gdal_config_options(config)
        try:
            yield
        finally:
            pyogrio.set_gdal_config_options(previous)
