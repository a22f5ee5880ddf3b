"""The 一企一策 improvement plan as a capability roadmap: actions, owners, progress, rectification."""
