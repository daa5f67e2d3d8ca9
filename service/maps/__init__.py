"""The map pages and what they fetch: the park, city and availability maps, a key
project's page, the map's search box and the vector tiles. Built with :mod:`maps`."""
