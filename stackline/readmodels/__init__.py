"""SQL read models: tables built by projectors and read by GraphQL and ingest."""
