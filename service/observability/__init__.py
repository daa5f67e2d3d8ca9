"""What the service is doing, for whoever runs it: the request id every log line and
error body carries (:mod:`.context`), Prometheus metrics (:mod:`.metrics`) and JSON-lines
logs (:mod:`.logging`)."""
