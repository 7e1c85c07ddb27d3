"""Package data: rules, holidays, consulates, roll-out plan, 2014 populations (see SOURCES.md)."""
