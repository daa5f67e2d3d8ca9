"""OGC API – Features under ``/ogc``: the collections declared once (:mod:`.registry`) and
everything the endpoints need — the request's parameters, CRSs and times, the features
built in SQL, the documents (landing page, conformance, collections, queryables, OpenAPI
3.0) and their HTML pages. The routes are in ``service/api/routes/ogc.py``; the CQL2
``filter`` is compiled by :mod:`.cql2`."""
