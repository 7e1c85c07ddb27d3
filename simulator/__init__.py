"""Synthetic Moroccan civil-status activity for demos, tests and benchmarks (docs/simulator.md).

``simulator.bulk.load_history`` writes years of history straight into an empty registry;
``simulator.live.run_live`` posts activity in real time through the HTTP API. The simulator only
ever writes registry data: every indicator is computed by the warehouse from that data.
"""
