"""`nexus generate`: plain words -> a Nexus spec that loads, synthesizes and passes the compliance gate.

pipeline.py runs it; client.py talks to the model (official openai SDK); prompts.py and prompts/*.j2 build the
messages; intent.py and offline.py are the deterministic offline path; safety.py hardens untrusted output;
gate.py synthesizes and checks a draft in a child process that deadline.py stops at --max-time; evaluate.py measures the offline parser on labelled prompts.
"""

DEFAULT_MODEL = "gpt-4.1-mini"
# What `generate --allow` can let through from a model answer although the prompt does not name it
# (overrides have their own flag, --allow-overrides); see safety.py.
UNTRUSTED = ("state", "sources", "notify", "images", "no-backups")
