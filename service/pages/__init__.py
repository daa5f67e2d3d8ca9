"""The HTML pages the service renders: where the templates and static files are, and the
one Jinja environment every page uses."""
