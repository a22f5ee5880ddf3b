"""The regulator's view: aggregates over stored results, drill-downs, policy rules, peer benchmarks,
techno-economic indicators."""
