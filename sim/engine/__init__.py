"""The simulation engine: the scenario flattened to indices, callers drawn at birth, routing and overflow policies,
staffing, and the SimPy model that records what happens to every call."""
