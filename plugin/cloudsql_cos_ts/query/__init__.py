"""The query model and the pipeline that turns a Grafana query into frames."""
