"""Streamlit dashboards (entry point: dashboards/app.py; pages under views/ run as scripts)."""
