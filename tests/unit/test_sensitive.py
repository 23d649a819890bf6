"""The one redaction helper (run history and diagrams): longest value first, short values only where they stand
alone, secret-named attributes, references kept; and it stays linear in a state with many sensitive values."""
from __future__ import annotations

import time

from cdktf_app.sensitive import REDACTED, Secrets, redact, redact_attributes


def test_values_are_cut_longest_first_and_short_ones_only_when_whole():
    secrets = Secrets({"abc", "Pa55word", "Pa55word-old", "7"})
    assert redact("was Pa55word-old, now Pa55word; abc 7", secrets) == f"was {REDACTED}, now {REDACTED}; abc 7"
    attributes = {"port": 7, "note": "abc", "password": "plain-but-named", "db": {"api_key": 12345},
                  "secret_arn": "${aws_secretsmanager_secret.db.arn}", "url": "pg://u:Pa55word@h", "ok": True}
    assert redact_attributes(attributes, secrets) == {
        "port": REDACTED, "note": REDACTED, "password": REDACTED, "db": {"api_key": REDACTED},
        "secret_arn": "${aws_secretsmanager_secret.db.arn}", "url": f"pg://u:{REDACTED}@h", "ok": True}


def test_many_sensitive_values_in_many_texts_take_seconds_not_hours():
    secrets = Secrets({f"pw-{index}-x" for index in range(20_000)})
    texts = [f"arn:aws:s3:::bucket-{index} pw-{index}-y" for index in range(20_000)]
    started = time.monotonic()
    cleaned = [redact(text, secrets) for text in texts]
    assert time.monotonic() - started < 20          # one value at a time over every text: minutes
    assert cleaned[5] == "arn:aws:s3:::bucket-5 pw-5-y" and redact("a pw-5-x", secrets) == f"a {REDACTED}"
