"""`nexus generate`: plain words -> a Nexus spec that loads, synthesizes and passes the compliance gate.

pipeline.py runs it; client.py talks to the model (official openai SDK); prompts.py and prompts/*.j2 build the
messages; intent.py and offline.py are the deterministic offline path; safety.py hardens untrusted output;
evaluate.py measures the offline parser on labelled prompts.
"""

DEFAULT_MODEL = "gpt-4.1-mini"
