"""ASGI guards that run before a request reaches a route: they refuse what must never
reach the application (a body too large or too slow, a request without credentials for
a write, more concurrent work than the database pool can serve) without reading more
of the request than they need."""
