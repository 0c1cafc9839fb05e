"""The plugin process: go-plugin handshake, gRPC services, logging, signals."""
