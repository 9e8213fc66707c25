"""What operators see of a Cabinet process: Prometheus metrics (metrics.py, http.py) and
OpenTelemetry traces (tracing.py), set up once here for every service and the worker."""
