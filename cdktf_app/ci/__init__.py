"""`nexus ci`: plan-and-check for pull requests, its report and outputs, and posting them to GitHub or GitLab."""
