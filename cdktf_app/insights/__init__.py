"""Pipeline insights: CI runs (GitHub Actions, GitLab, JUnit) and Nexus's own runs in the run history, their
baselines and anomalies, flaky jobs, failure signatures and the healing of transient CI failures."""
