"""Dagster definitions, one folder per domain (landing, dbt, publish, quality, datasets)."""
