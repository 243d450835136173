"""Storage: database engine, tables, repositories, the event log and the Parquet lake."""
